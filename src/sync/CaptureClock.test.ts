import { describe, expect, it } from 'vitest';
import { CaptureClock } from './CaptureClock.js';

/** A deterministic pseudo-random source (the tests must not flake). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

const ORIGIN = 1.795e12;
/** The audio clock runs 200 ppm fast against the system clock (measured here). */
const trueStamp = (ctxMs: number, shift = 0) => ORIGIN + shift + ctxMs * (1 + 200e-6);

describe('CaptureClock: stamps along the floor of the arrival times', () => {
  it('finds the production times under message delays (0.1-1 ms, with 20-60 ms stalls now and then)', () => {
    const clock = new CaptureClock();
    const rand = rng(1);
    let worst = 0;
    for (let k = 0; k < 6000; k++) {
      const x = k * 10;
      const stall = rand() < 0.01 ? 20 + 40 * rand() : 0;
      clock.add(x, trueStamp(x) + 0.1 + 0.9 * rand() + stall);
      if (k > 3000) worst = Math.max(worst, Math.abs(clock.stamp(x) - trueStamp(x) - 0.1));
    }
    expect(worst).toBeLessThan(0.3);
    expect(clock.slope).toBeCloseTo(1 + 200e-6, 6);
    expect(clock.steps).toBe(0);
  });

  it('is not moved by a burst of late frames (the worker was not scheduled for 200 ms)', () => {
    const clock = new CaptureClock();
    for (let k = 0; k < 500; k++) clock.add(k * 10, trueStamp(k * 10) + 0.2);
    // Frames 500..519 all arrive together at the end of the stall, then on time again.
    const wake = trueStamp(5200) + 0.2;
    for (let k = 500; k < 520; k++) clock.add(k * 10, wake);
    for (let k = 520; k < 600; k++) clock.add(k * 10, trueStamp(k * 10) + 0.2);
    expect(clock.steps).toBe(0);
    expect(Math.abs(clock.stamp(5990) - trueStamp(5990) - 0.2)).toBeLessThan(0.3);
  });

  it('does not chase a wobble of the audio thread that catches up (8 ms late for 300 ms, every 2 s)', () => {
    const clock = new CaptureClock();
    let worst = 0;
    for (let k = 0; k < 3000; k++) {
      const x = k * 10;
      const wobble = k % 200 < 30 ? 8 : 0;
      clock.add(x, trueStamp(x) + 0.2 + wobble);
      if (k > 1500) worst = Math.max(worst, Math.abs(clock.stamp(x) - trueStamp(x) - 0.2));
    }
    expect(clock.steps).toBe(0);
    expect(worst).toBeLessThan(1);
  });

  it('follows a step of the audio clock within a second, and says so with a new epoch', () => {
    const clock = new CaptureClock();
    for (let k = 0; k < 500; k++) clock.add(k * 10, trueStamp(k * 10) + 0.2);
    const epoch = clock.epoch;
    // The audio thread stalled: from frame 500 on every sample is produced 933 ms later than before.
    let steppedAt = -1;
    for (let k = 500; k < 600; k++) {
      clock.add(k * 10, trueStamp(k * 10, 933) + 0.2);
      if (steppedAt < 0 && clock.epoch !== epoch) steppedAt = k;
    }
    expect(steppedAt - 500).toBeLessThanOrEqual(70);
    expect(clock.epoch).toBe(epoch + 1);
    expect(Math.abs(clock.stamp(5990) - trueStamp(5990, 933) - 0.2)).toBeLessThan(0.3);
  });

  it('stamps from the first frame on, before there is a line', () => {
    const clock = new CaptureClock();
    expect(clock.ready).toBe(false);
    clock.add(0, ORIGIN + 3);
    expect(clock.ready).toBe(true);
    expect(clock.stamp(50)).toBe(ORIGIN + 53);
  });
});
