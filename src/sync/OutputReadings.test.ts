import { describe, expect, it } from 'vitest';
import { OutputReadings, type RawOutputReading, stampedAtCall } from './OutputReadings.js';

const LATENCY = 0.04;

/**
 * Firefox's readings as measured here: the audio thread renders 1024 frames (21.33 ms) at a time,
 * so `currentTime` jumps by that; the sample at `currentTime` really leaves one output latency
 * after its render; the reading is stamped at the call, both times less the output latency.
 */
function firefoxReading(nowMs: number, renderOffsetMs = 1000): RawOutputReading {
  const block = (1024 / 48_000) * 1000;
  const renderedMs = Math.floor((nowMs - renderOffsetMs) / block) * block;
  const currentTimeSec = renderedMs / 1000;
  return {
    contextTimeSec: currentTimeSec - LATENCY,
    performanceTimeMs: nowMs - LATENCY * 1000,
    currentTimeSec,
    outputLatencySec: LATENCY,
    beforeMs: nowMs - 0.01,
    afterMs: nowMs + 0.01,
  };
}

/** Chromium's: stamped by the device at the last render; contextTime is what plays at performanceTime. */
function chromiumReading(nowMs: number): RawOutputReading {
  const renderedMs = Math.floor(nowMs / 10) * 10;
  return {
    contextTimeSec: (renderedMs - 1000) / 1000,
    performanceTimeMs: renderedMs,
    currentTimeSec: (renderedMs - 1000) / 1000 + 0.032,
    outputLatencySec: 0.03,
    beforeMs: nowMs - 0.01,
    afterMs: nowMs + 0.01,
  };
}

describe('OutputReadings', () => {
  it('passes a device-stamped (Chromium) reading through unchanged and never switches', () => {
    const readings = new OutputReadings();
    for (let t = 2000; t < 5000; t += 25 + (t % 7)) {
      const raw = chromiumReading(t);
      expect(stampedAtCall(raw)).toBe(false);
      const { reading, switched } = readings.add(raw);
      expect(switched).toBe(false);
      expect(reading).toEqual({
        contextTimeSec: raw.contextTimeSec,
        performanceTimeMs: raw.performanceTimeMs,
      });
    }
    expect(readings.kind).toBe('device');
  });

  it('recognises call-stamped (Firefox) readings after ten in a row, and says the clock must start over', () => {
    const readings = new OutputReadings();
    const out = [];
    for (let i = 0; i < 10; i++) out.push(readings.add(firefoxReading(2000 + i * 25)));
    expect(out.slice(0, 9).every((o) => o.reading === null && !o.switched)).toBe(true);
    expect(out[9]?.switched).toBe(true);
    expect(readings.kind).toBe('call');
  });

  it('maps a call-stamped reading to when its sample really leaves, typically within half a ms once a second has passed', () => {
    const readings = new OutputReadings();
    // The truth: the sample at context time c leaves at c + 1000 ms (the render offset) + latency.
    const truth = (c: number) => c * 1000 + 1000 + LATENCY * 1000;
    const errors: number[] = [];
    // Polled every 25 ms, late by 0-8 ms each time as a busy page's timers are (a fixed pseudo-random draw).
    let seed = 7;
    const jitter = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return (seed / 2 ** 31) * 8;
    };
    let t = 2000;
    for (let i = 0; i < 200; i++, t += 25 + jitter()) {
      const { reading } = readings.add(firefoxReading(t));
      if (reading && t > 3500) errors.push(reading.performanceTimeMs - truth(reading.contextTimeSec));
    }
    expect(errors.length).toBeGreaterThan(100);
    // Never early (the envelope only removes lag); late by the least lag of a second's ~40 readings
    // against a 21 ms sawtooth: mostly well under a ms, now and then up to ~2.
    for (const e of errors) expect(e).toBeGreaterThanOrEqual(-1e-6);
    expect(errors.sort((a, b) => a - b)[errors.length >> 1]).toBeLessThan(0.5);
    for (const e of errors) expect(e).toBeLessThan(3);
  });

  it('follows an underrun (the output falls behind for good) within the envelope window', () => {
    const readings = new OutputReadings();
    let last = null;
    for (let t = 2000; t < 4000; t += 25) readings.add(firefoxReading(t, 1000));
    // 30 ms of output lost: from now on every sample leaves 30 ms later.
    for (let t = 4000; t < 5200; t += 25) last = readings.add(firefoxReading(t, 1030)).reading;
    const truth = (c: number) => c * 1000 + 1030 + LATENCY * 1000;
    expect(last).not.toBeNull();
    const e = (last?.performanceTimeMs ?? 0) - truth(last?.contextTimeSec ?? 0);
    expect(Math.abs(e)).toBeLessThan(1);
  });

  it('switches back to device-stamped readings after ten of them in a row', () => {
    const readings = new OutputReadings();
    for (let i = 0; i < 12; i++) readings.add(firefoxReading(2000 + i * 25));
    expect(readings.kind).toBe('call');
    const out = [];
    for (let i = 0; i < 10; i++) out.push(readings.add(chromiumReading(3000 + i * 25)));
    expect(out[9]?.switched).toBe(true);
    expect(readings.kind).toBe('device');
    expect(out[9]?.reading).not.toBeNull();
  });

  it('ignores readings from before the output started', () => {
    const readings = new OutputReadings();
    const raw = { ...chromiumReading(2000), performanceTimeMs: 0 };
    expect(readings.add(raw)).toEqual({ reading: null, switched: false });
  });
});
