import { describe, expect, it } from 'vitest';
import { describeCalibration, describeCalibrationEntry, signedMs } from './calibration.js';

const base = {
  syncErrorMs: 0.3,
  delayMs: 80,
  bufferMs: 40,
  clockUncertaintyMs: 0.1,
  rttMs: 2,
  lateFrames: 0,
  underrunMs: 0,
  inSync: true,
};

describe('how calibration is said', () => {
  it("says a calibrated device's offset, and when a device needs calibrating again", () => {
    expect(describeCalibration({ ...base, offsetMs: 3.24, calibration: 'calibrated' })).toBe(
      'calibrated, +3.2 ms',
    );
    expect(describeCalibration({ ...base, offsetMs: -180, calibration: 'calibrated' })).toBe(
      'calibrated, −180 ms',
    );
    expect(describeCalibration({ ...base, offsetMs: 3, calibration: 'stale' })).toBe(
      'output changed: calibrate again',
    );
    expect(describeCalibration({ ...base, calibration: 'not-heard' })).toBe('not heard in calibration');
    expect(describeCalibration({ ...base, offsetMs: 0, calibration: 'none' })).toBe('');
    expect(describeCalibration({ ...base, offsetMs: 5, calibration: 'none' })).toBe('offset +5.0 ms');
    expect(describeCalibration(undefined)).toBe('');
  });

  it('tells the host what a run found for each device, in plain words', () => {
    expect(describeCalibrationEntry({ peerId: 'a', state: 'heard', errorMs: 12.34, offsetMs: -12.3 })).toBe(
      'was 12.3 ms late, now plays at −12.3 ms',
    );
    expect(describeCalibrationEntry({ peerId: 'a', state: 'not-heard' })).toMatch(
      /not heard: turn its volume up/,
    );
    expect(describeCalibrationEntry({ peerId: 'a', state: 'missed' })).toMatch(/could not play/);
  });

  it('writes signed milliseconds', () => {
    expect(signedMs(0)).toBe('0.0 ms');
    expect(signedMs(-0.04)).toBe('0.0 ms');
    expect(signedMs(42.6)).toBe('+42.6 ms');
    expect(signedMs(-142.6)).toBe('−143 ms');
  });
});
