import { describe, expect, it } from 'vitest';
import { CALIBRATION_SIGNAL_MS } from './Calibration.js';
import { CALIBRATION_SLOT_MS, deviceError, planCalibration } from './CalibrationPlan.js';

describe('planCalibration: every device in turn, round after round', () => {
  it('gives each device its own instants, in order, in every round', () => {
    const plan = planCalibration(['host', 'ana', 'ben'], 10_000, 2);
    expect(plan.map((s) => s.peerId)).toEqual(['host', 'ana', 'ben', 'host', 'ana', 'ben']);
    expect(plan.map((s) => s.round)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(plan.map((s) => s.atMs)).toEqual([0, 1, 2, 3, 4, 5].map((i) => 10_000 + i * CALIBRATION_SLOT_MS));
  });

  it('looks for a signal from well before its instant to long after (a late Bluetooth speaker)', () => {
    const [slot] = planCalibration(['ana'], 5000);
    expect(slot?.fromMs).toBeLessThanOrEqual(5000 - 200);
    expect(slot?.toMs).toBeGreaterThanOrEqual(5000 + 300 + 200);
  });

  it("never lets one device's signal reach into the next one's window", () => {
    const [a, b] = planCalibration(['ana', 'ben'], 0);
    if (!a || !b) throw new Error('two slots');
    expect(a.toMs + CALIBRATION_SIGNAL_MS).toBeLessThan(b.fromMs);
  });
});

describe("deviceError: a device's error over its rounds", () => {
  it('is the median of its rounds, so one disturbed chirp does not count', () => {
    expect(deviceError([2.1, 2.3, 41])).toBe(2.3);
    expect(deviceError([2, 4, null])).toBe(3);
  });

  it('needs more than half of the rounds heard', () => {
    expect(deviceError([2, null, null])).toBeNull();
    expect(deviceError([null, null, null])).toBeNull();
    expect(deviceError([5])).toBe(5);
  });
});
