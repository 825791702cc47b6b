import { describe, expect, it } from 'vitest';
import { LineFit } from './LineFit.js';
import { OutputClock } from './OutputClock.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const options = { windowX: 10_000, maxPoints: 1000, outlierY: 2, stepPoints: 8, stepY: 3 };

describe('LineFit', () => {
  it('recovers a line with a 200 ppm slope from noisy epoch-sized points to a microsecond', () => {
    const fit = new LineFit(options, 1);
    const r = rng(1);
    const y = (x: number) => 1.795e12 + 12.5 + x * (1 + 200e-6);
    for (let x = 0; x <= 10_000; x += 20) fit.add(x, y(x) + (r() - 0.5) * 0.2);
    expect(Math.abs(fit.at(10_000) - y(10_000))).toBeLessThan(0.03);
    expect((fit.line?.slope ?? 0) - 1).toBeCloseTo(200e-6, 5);
    expect(fit.inverse(y(5000))).toBeCloseTo(5000, 1);
  });

  it('ignores readings delayed by OS stalls', () => {
    const fit = new LineFit(options, 1);
    const r = rng(2);
    for (let x = 0; x <= 5000; x += 20) fit.add(x, 1000 + x + (r() < 0.1 ? 10 + r() * 40 : 0));
    expect(Math.abs(fit.at(5000) - 6000)).toBeLessThan(0.05);
  });

  it('follows a step at once instead of averaging across it', () => {
    const fit = new LineFit(options, 1);
    for (let x = 0; x <= 4000; x += 20) fit.add(x, x);
    for (let x = 4020; x <= 4400; x += 20) fit.add(x, x + 12);
    expect(fit.steps).toBe(1);
    expect(fit.at(4400)).toBeCloseTo(4412, 3);
  });

  it('forgets points older than its window', () => {
    const fit = new LineFit({ ...options, windowX: 1000 }, 1);
    for (let x = 0; x <= 5000; x += 10) fit.add(x, x * 1.001);
    expect(fit.line?.n).toBeLessThanOrEqual(101);
    expect(fit.line?.slope).toBeCloseTo(1.001, 6);
  });

  it('assumes the default slope until the points span enough to measure one', () => {
    const fit = new LineFit(options, 1);
    fit.add(0, 100);
    fit.add(20, 120.5);
    expect(fit.line?.slope).toBe(1);
    expect(Number.isNaN(new LineFit(options, 1).at(0))).toBe(true);
  });
});

describe('OutputClock', () => {
  it('maps context time to the local clock from getOutputTimestamp readings, and back', () => {
    const clock = new OutputClock();
    const origin = 1.795e12;
    // The context started at performance time 500 ms; its output is 31 ms behind; +200 ppm.
    for (let c = 0.02; c < 3; c += 0.02) clock.addReading(c, 500 + 31 + c * 1000 * (1 + 200e-6), origin);
    expect(clock.ready).toBe(true);
    expect(clock.localTimeOf(2)).toBeCloseTo(origin + 531 + 2000 * (1 + 200e-6), 2);
    expect(clock.contextTimeAt(clock.localTimeOf(1.234))).toBeCloseTo(1.234, 6);
  });

  it('puts the sound later by what the platform leaves out of its reports (Apple: 100 ms)', () => {
    const reported = new OutputClock();
    const apple = new OutputClock({ unreportedMs: 100 });
    for (let c = 0.02; c < 3; c += 0.02) {
      reported.addReading(c, 531 + c * 1000, 1.795e12);
      apple.addReading(c, 531 + c * 1000, 1.795e12);
    }
    expect(apple.localTimeOf(2) - reported.localTimeOf(2)).toBeCloseTo(100, 6);
    expect(apple.contextTimeAt(reported.localTimeOf(2) + 100)).toBeCloseTo(2, 6);
  });

  const origin = 1.795e12;
  /** Readings every 25 ms of context time from `from` to `to` s, output `latency(c)` ms behind, +200 ppm. */
  function feed(clock: OutputClock, from: number, to: number, latency: (c: number) => number): void {
    for (let c = from; c < to; c += 0.025)
      clock.addReading(c, 500 + latency(c) + c * 1000 * (1 + 200e-6), origin);
  }
  const expected = (c: number, latency: number) => origin + 500 + latency + c * 1000 * (1 + 200e-6);

  it('waits for a settled second of readings before it is ready (the output ramps up at a start)', () => {
    const clock = new OutputClock();
    // The first 2 s the reported delay ramps from 170 ms down to 31 ms.
    feed(clock, 0.02, 2, (c) => 31 + 139 * (1 - c / 2));
    expect(clock.ready).toBe(false);
    feed(clock, 2, 3.2, () => 31);
    expect(clock.ready).toBe(true);
    expect(clock.localTimeOf(3)).toBeCloseTo(expected(3, 31), 1);
  });

  it('is not moved by readings that leave the line and come back without settling', () => {
    const clock = new OutputClock();
    feed(clock, 0.02, 5, () => 31);
    // After an underrun the reported delay jumps to 248 ms and ramps back over 3 s, as measured here.
    feed(clock, 5, 8, (c) => 31 + 217 * Math.max(0, 1 - (c - 5) / 3));
    feed(clock, 8, 9, () => 31);
    expect(clock.steps).toBe(0);
    expect(clock.localTimeOf(9)).toBeCloseTo(expected(9, 31), 1);
    expect(clock.ignored).toBeGreaterThan(50);
  });

  it('follows a real step within a quarter of a second, keeping the slope', () => {
    const clock = new OutputClock();
    feed(clock, 0.02, 10, () => 31);
    const slope = clock.slope;
    // An underrun delayed the output by 23 ms for good.
    feed(clock, 10, 10.15, () => 54);
    expect(clock.localTimeOf(10.15)).toBeCloseTo(expected(10.15, 31), 1);
    feed(clock, 10.15, 10.4, () => 54);
    expect(clock.steps).toBe(1);
    expect(clock.localTimeOf(10.4)).toBeCloseTo(expected(10.4, 54), 1);
    expect(clock.slope).toBeCloseTo(slope, 8);
  });

  it('follows a small step too (1.5 ms: a line of old readings would take seconds to get there)', () => {
    const clock = new OutputClock();
    feed(clock, 0.02, 10, () => 31);
    feed(clock, 10, 10.4, () => 32.5);
    expect(clock.localTimeOf(10.4)).toBeCloseTo(expected(10.4, 32.5), 1);
  });

  it('is not moved by readings that scatter around the line (+-0.4 ms)', () => {
    const clock = new OutputClock();
    let i = 0;
    feed(clock, 0.02, 20, () => 31 + 0.4 * Math.sin(i++ * 2.1));
    expect(clock.steps).toBe(0);
    expect(clock.localTimeOf(20)).toBeCloseTo(expected(20, 31), 0);
  });

  it('drops a lone reading delayed by an OS stall', () => {
    const clock = new OutputClock();
    feed(clock, 0.02, 3, () => 31);
    clock.addReading(3.01, 500 + 31 + 40 + 3010 * (1 + 200e-6), origin);
    feed(clock, 3.03, 4, () => 31);
    expect(clock.steps).toBe(0);
    expect(clock.localTimeOf(4)).toBeCloseTo(expected(4, 31), 1);
  });

  it('ignores readings from before the output started', () => {
    const clock = new OutputClock();
    clock.addReading(0, 0, 1e12);
    clock.addReading(0.5, 0, 1e12);
    expect(clock.ready).toBe(false);
  });
});
