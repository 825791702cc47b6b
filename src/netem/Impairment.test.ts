import { describe, expect, it } from 'vitest';
import { seededRandom } from '../common/seededRandom.js';
import { Impairment } from './Impairment.js';

/** Sends `n` packets of `bytes`, one every `everyMs`, and returns each one's delivery (null = lost). */
function run(path: Impairment, n: number, everyMs = 10, bytes = 200): (number | null)[] {
  const out: (number | null)[] = [];
  for (let i = 0; i < n; i++) out.push(path.admit(i * everyMs, bytes));
  return out;
}

describe('an impaired path', () => {
  it('passes everything at once when it has no impairment', () => {
    expect(run(new Impairment(), 5)).toEqual([0, 10, 20, 30, 40]);
  });

  it('adds its delay to every packet', () => {
    expect(run(new Impairment({ delayMs: 25 }), 3)).toEqual([25, 35, 45]);
  });

  it('moves a queue-like jitter smoothly, the same for a busy direction as for a quiet one', () => {
    const busy = new Impairment({ delayMs: 30, jitterMs: 30 }, seededRandom(5));
    const quiet = new Impairment({ delayMs: 30, jitterMs: 30 }, seededRandom(6));
    const busyExtra = (run(busy, 20_000, 1) as number[]).map((t, i) => t - i);
    const quietExtra = (run(quiet, 200, 100) as number[]).map((t, i) => t - i * 100);
    // Packets 1 ms apart see nearly the same delay: a queue, not independent draws.
    for (let i = 1; i < busyExtra.length; i++) {
      expect(Math.abs((busyExtra[i] as number) - (busyExtra[i - 1] as number))).toBeLessThan(3.1);
    }
    // The busy direction's delays spread like the quiet one's (not the maximum of several draws).
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    expect(Math.abs(median(busyExtra) - median(quietExtra))).toBeLessThan(8);
    expect(Math.min(...busyExtra)).toBeLessThan(8);
  });

  it('spreads delays within +-jitter around the delay, keeping the order unless told to reorder', () => {
    const path = new Impairment({ delayMs: 40, jitterMs: 30 }, seededRandom(1));
    const at = run(path, 2000, 1) as number[];
    const extra = at.map((t, i) => t - i);
    expect(Math.min(...extra)).toBeGreaterThanOrEqual(10);
    for (let i = 1; i < at.length; i++) expect(at[i]).toBeGreaterThanOrEqual(at[i - 1] as number);
    expect(path.counters.reordered).toBe(0);
    // Held behind earlier packets, some wait past delay + jitter; none arrives before delay - jitter.
    const own = new Impairment({ delayMs: 40, jitterMs: 30, reorder: 1 }, seededRandom(1));
    const free = (run(own, 2000, 1) as number[]).map((t, i) => t - i);
    expect(Math.min(...free)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...free)).toBeLessThanOrEqual(70);
    expect(own.counters.reordered).toBeGreaterThan(500);
  });

  it('loses the asked share of packets, independently by default', () => {
    const path = new Impairment({ loss: 0.1 }, seededRandom(7));
    const out = run(path, 20_000);
    const lost = out.filter((t) => t === null).length;
    expect(lost / out.length).toBeGreaterThan(0.09);
    expect(lost / out.length).toBeLessThan(0.11);
    expect(path.counters.lost).toBe(lost);
    expect(meanBurst(out)).toBeLessThan(1.3);
  });

  it('loses in bursts of the asked mean length, at the same overall rate', () => {
    const out = run(new Impairment({ loss: 0.05, burst: 4 }, seededRandom(3)), 50_000);
    const rate = out.filter((t) => t === null).length / out.length;
    expect(rate).toBeGreaterThan(0.04);
    expect(rate).toBeLessThan(0.06);
    expect(meanBurst(out)).toBeGreaterThan(3.4);
    expect(meanBurst(out)).toBeLessThan(4.6);
  });

  it('serializes packets at the capped rate and drops what would queue too long', () => {
    // 500 kbit/s = 0.5 bit/us: a 1250-byte packet takes 20 ms on the wire.
    const path = new Impairment({ rateKbps: 500, queueMs: 100 });
    const at = run(path, 20, 0, 1250);
    expect(at.slice(0, 6)).toEqual([20, 40, 60, 80, 100, 120]);
    // The 7th would wait 120 ms before it starts: more than the queue holds.
    expect(at.filter((t) => t === null).length).toBe(14);
    expect(path.counters.queueDrops).toBe(14);
  });

  it('carries a stream under the cap without queueing', () => {
    // 200-byte packets every 10 ms = 160 kbit/s, under a 500 kbit/s cap: 3.2 ms each on the wire.
    const at = run(new Impairment({ rateKbps: 500 }), 100) as number[];
    for (const [i, t] of at.entries()) expect(t).toBeCloseTo(i * 10 + 3.2, 9);
  });

  it('refuses settings out of range, naming them', () => {
    expect(() => new Impairment({ loss: 1.5 })).toThrow(/loss/);
    expect(() => new Impairment({ delayMs: -1 })).toThrow(/delayMs/);
    expect(() => new Impairment({ burst: 0.5 })).toThrow(/burst/);
    expect(() => new Impairment({ rateKbps: Number.NaN })).toThrow(/rateKbps/);
  });
});

function meanBurst(out: (number | null)[]): number {
  let bursts = 0;
  let lost = 0;
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== null) continue;
    lost++;
    if (i === 0 || out[i - 1] !== null) bursts++;
  }
  return lost / Math.max(1, bursts);
}
