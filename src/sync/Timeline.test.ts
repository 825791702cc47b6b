import { describe, expect, it } from 'vitest';
import { MediaClock } from './MediaClock.js';
import { TIMELINE_TOLERANCE_MS, Timeline } from './Timeline.js';

const T0 = 1.8e12;

describe('Timeline', () => {
  it('stamps a wobbling measurement on one straight line, which every receiver fits exactly', () => {
    const timeline = new Timeline();
    const stamps: number[] = [];
    for (let n = 0; n < 3000; n++) {
      const media = n * 10;
      // The capture clock's line bends by up to 1.5 ms as it refits under load.
      const measured = T0 + media * 1.0002 + 1.5 * Math.sin(n / 97);
      stamps.push(timeline.stamp(media, measured, 1.0002, 0));
    }
    expect(timeline.redraws).toBe(0);
    for (let n = 1; n < stamps.length; n++) {
      // Exact up to float64 at epoch ms (resolution 0.24 us).
      expect((stamps[n] as number) - (stamps[n - 1] as number)).toBeCloseTo(10.002, 3);
    }
    // Two receivers that saw different frames (one joined late and lost every 7th) agree.
    const a = new MediaClock();
    const b = new MediaClock();
    stamps.forEach((t, n) => {
      if (n % 5 === 0) a.add(n * 10, t);
      if (n > 1200 && n % 7 !== 0) b.add(n * 10, t);
    });
    for (const media of [12_000, 20_000, 29_990])
      expect(Math.abs(a.hostTimeOf(media) - b.hostTimeOf(media))).toBeLessThan(1e-3);
  });

  it('bends towards a measurement that moved away, without a jump, then goes on at its rate', () => {
    const timeline = new Timeline();
    for (let n = 0; n < 100; n++) timeline.stamp(n * 10, T0 + n * 10, 1, 0);
    expect(timeline.epoch).toBe(0);
    // The measurement moves 3 ms later and stays there: a new epoch, but the stamps go on smoothly.
    let last = T0 + 990;
    for (let n = 100; n < 1200; n++) {
      const t = timeline.stamp(n * 10, T0 + n * 10 + 3, 1, 0);
      const step = t - last;
      expect(step).toBeGreaterThan(10 - 1e-3);
      expect(step).toBeLessThan(10 + 0.01); // at most +1000 ppm
      last = t;
    }
    expect(timeline.redraws).toBe(2); // bent towards it, then straight again once it got there
    expect(Math.abs(last - (T0 + 11_990 + 3))).toBeLessThan(TIMELINE_TOLERANCE_MS / 4);
  });

  it('follows a step of the capture clock at once, with a new epoch', () => {
    const timeline = new Timeline();
    for (let n = 0; n < 10; n++) timeline.stamp(n * 10, T0 + n * 10, 1, 3);
    expect(timeline.stamp(100, T0 + 100.5, 1, 4)).toBe(T0 + 100.5);
    expect(timeline.epoch).toBe(1);
    expect(timeline.redraws).toBe(1);
  });
});
