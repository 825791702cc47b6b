import { describe, expect, it } from 'vitest';
import { OutputClock } from './OutputClock.js';
import { OutputFallback, type OutputSample } from './OutputFallback.js';

/** -5..5, scattered: how far a 25 ms timer wanders. */
function wander(k: number): number {
  const v = Math.sin(k * 12.9898) * 43758.5453;
  return (v - Math.floor(v)) * 10 - 5;
}

/** A context started at performance time 500 ms; readings every 25 ms, give or take a wander. */
function* samples(
  from: number,
  to: number,
  at: (now: number) => Omit<OutputSample, 'now'>,
): Generator<OutputSample> {
  for (let now = from, k = 0; now < to; now += 25 + wander(k++)) yield { ...at(now), now };
}

/** Chromium, as measured: the output 31 ms behind, the reading from a callback up to 10 ms ago. */
const chromium = (now: number) => {
  const c = (now - 500) / 1000;
  return {
    contextTime: c - 0.031 - ((now * 7) % 10) / 1000,
    performanceTime: now - ((now * 7) % 10),
    currentTime: c + 0.003,
    latencySec: 0.034,
  };
};

/**
 * WebKitGTK 2.50, as measured here: performanceTime runs at twice the context's rate, contextTime is
 * currentTime less baseLatency, outputLatency 0, currentTime moves in bursts of up to 53 ms.
 */
const webkit = (now: number) => {
  const rendered = now - 500;
  const currentTime = (rendered - (rendered % 53) + 53) / 1000;
  return {
    contextTime: currentTime - 0.00267,
    performanceTime: 500 + 2 * (currentTime - 0.00267) * 1000,
    currentTime,
    latencySec: 0.00267,
  };
};

describe('OutputFallback', () => {
  it("passes getOutputTimestamp() through while it is possible (Chromium's)", () => {
    const fallback = new OutputFallback();
    for (const s of samples(600, 5000, chromium)) {
      expect(fallback.read(s)).toEqual({
        contextTimeSec: s.contextTime,
        performanceTimeMs: s.performanceTime,
      });
    }
    expect(fallback.source).toBe('timestamp');
    expect(fallback.refused).toBe(0);
  });

  it('gives no reading before the output has started (both times 0)', () => {
    const fallback = new OutputFallback();
    const s = { contextTime: 0, performanceTime: 0, currentTime: 0, latencySec: 0.01, now: 100 };
    for (let i = 0; i < 20; i++) expect(fallback.read(s)).toBeNull();
    expect(fallback.source).toBe('timestamp');
  });

  it('keeps believing getOutputTimestamp() after a few impossible readings', () => {
    const fallback = new OutputFallback();
    for (const s of samples(600, 1000, chromium)) fallback.read(s);
    for (let i = 0; i < 7; i++) {
      expect(
        fallback.read({ ...chromium(1000 + i * 25), performanceTime: 1100 + i * 25, now: 1000 + i * 25 }),
      ).toBeNull();
    }
    for (const s of samples(1200, 2000, chromium)) fallback.read(s);
    expect(fallback.source).toBe('timestamp');
    expect(fallback.refused).toBe(7);
  });

  it("falls back to currentTime when getOutputTimestamp() keeps saying the future (WebKitGTK's)", () => {
    const fallback = new OutputFallback();
    let last: { s: OutputSample; r: ReturnType<OutputFallback['read']> } | null = null;
    for (const s of samples(520, 3000, webkit)) last = { s, r: fallback.read(s) };
    expect(fallback.source).toBe('current-time');
    // The sample at currentTime - latency leaves "now", at the earliest "now" of the last half
    // second: the context renders a burst (53 ms) ahead, so c was rendered by 500 + c - 53.
    const c = (last?.s.currentTime ?? 0) - 0.00267;
    expect(last?.r?.contextTimeSec).toBeCloseTo(c, 9);
    // Readings fall anywhere in a burst: the earliest of 20 is within a few ms of its end.
    const late = (last?.r?.performanceTimeMs ?? 0) - (500 + c * 1000 - 53 + 2.67);
    expect(late).toBeGreaterThanOrEqual(-0.01);
    expect(late).toBeLessThan(6);
  });

  it("makes of WebKit's bursts readings an OutputClock settles on within a second", () => {
    const fallback = new OutputFallback();
    const clock = new OutputClock();
    for (const s of samples(520, 4000, webkit)) {
      const r = fallback.read(s);
      if (r) clock.addReading(r.contextTimeSec, r.performanceTimeMs, 0);
    }
    expect(clock.ready).toBe(true);
    // The earliest the context had rendered c (a burst ahead of time), plus the reported latency.
    const late = clock.localTimeOf(3) - (500 + 3000 - 53 + 2.67);
    expect(late).toBeGreaterThanOrEqual(-0.01);
    expect(late).toBeLessThan(6);
    expect(clock.scatterMs).toBeLessThan(3);
  });

  it('starts over on reset()', () => {
    const fallback = new OutputFallback();
    for (const s of samples(520, 800, webkit)) fallback.read(s);
    fallback.reset();
    expect(fallback.source).toBe('timestamp');
  });
});
