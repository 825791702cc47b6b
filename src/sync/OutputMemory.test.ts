import { describe, expect, it } from 'vitest';
import { LATENCY_CHANGE_HOLD_MS, OutputMemory } from './OutputMemory.js';

describe('OutputMemory: the offset a device plays with, per output', () => {
  it('starts uncalibrated at 0 ms on an output it has never seen', () => {
    const m = new OutputMemory({}, 'speaker');
    expect(m.offsetMs).toBe(0);
    expect(m.calibration).toBe('none');
  });

  it('remembers a calibration per output and brings it back with that output', () => {
    const m = new OutputMemory({}, 'speaker');
    m.calibrated(3.2, 32);
    expect(m.selectOutput('bluetooth')).toBe(true);
    expect(m.offsetMs).toBe(0);
    expect(m.calibration).toBe('none');
    m.calibrated(-180, 160);
    m.selectOutput('speaker');
    expect(m.offsetMs).toBe(3.2);
    expect(m.calibration).toBe('calibrated');
    const again = new OutputMemory(m.records, 'bluetooth');
    expect(again.offsetMs).toBe(-180);
    expect(again.calibration).toBe('calibrated');
  });

  it('keeps a nudge by hand for the output, and a calibration stays one', () => {
    const m = new OutputMemory({}, 'speaker');
    m.setOffset(5);
    expect(m.calibration).toBe('none');
    m.calibrated(2, 32);
    m.setOffset(2.5);
    expect(m.offsetMs).toBe(2.5);
    expect(m.calibration).toBe('calibrated');
  });

  it('says a device was not heard and keeps its offset', () => {
    const m = new OutputMemory({ speaker: { offsetMs: 4, calibrated: true, latencyMs: 32 } }, 'speaker');
    m.notHeard();
    expect(m.calibration).toBe('not-heard');
    expect(m.offsetMs).toBe(4);
  });

  it('calls the calibration stale when the reported latency moves for good, not for a ramp', () => {
    const m = new OutputMemory({}, 'default');
    m.calibrated(0, 32);
    // A ramp after an underrun: up for 3 s, then back.
    for (let t = 0; t <= 3000; t += 1000) expect(m.latency(96, t)).toBe(false);
    expect(m.latency(32, 4000)).toBe(false);
    expect(m.calibration).toBe('calibrated');
    // The default output became a Bluetooth device: 200 ms more, and it stays.
    let stale = false;
    for (let t = 5000; t <= 5000 + LATENCY_CHANGE_HOLD_MS; t += 1000) stale ||= m.latency(232, t);
    expect(stale).toBe(true);
    expect(m.calibration).toBe('stale');
    expect(m.offsetMs).toBe(0);
  });

  it('calls it stale at once when the page sees the output change', () => {
    const m = new OutputMemory({}, 'default');
    m.outputChanged();
    expect(m.calibration).toBe('none');
    m.calibrated(1, 32);
    m.outputChanged();
    expect(m.calibration).toBe('stale');
  });

  it('carries what it kept to the output once the page learns which one it plays on', () => {
    const m = new OutputMemory({ default: { offsetMs: 6, calibrated: true, latencyMs: 32 } }, 'default');
    m.selectOutput('group:abc', true);
    expect(m.offsetMs).toBe(6);
    expect(m.calibration).toBe('calibrated');
    m.selectOutput('group:other', true);
    m.selectOutput('group:abc');
    expect(m.offsetMs).toBe(6);
  });
});
