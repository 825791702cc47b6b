import { describe, expect, it } from 'vitest';
import { composeTiming, lineAt, lineInverse } from './TimingLine.js';

describe('composeTiming: the playout schedule as one line', () => {
  const output = { x0: 1000, y0: 5_000_000, slope: 1.0002 }; // the sound card 200 ppm fast
  it('plays the media stamped D before the host time at which a sample leaves the speaker', () => {
    const line = composeTiming({
      output,
      toHost: (l) => l + 250, // host clock 250 ms ahead
      mediaAt: (h) => h - 4_000_000, // media 0 stamped at host 4e6
      delayMs: 100,
      fromCtxMs: 2000,
    });
    expect(line).not.toBeNull();
    if (!line) return;
    const leaves = lineAt(output, 2500);
    expect(line.mediaRef + line.slope * (2500 - line.ctxRefMs)).toBeCloseTo(
      leaves + 250 - 4_000_000 - 100,
      6,
    );
    expect(line.slope).toBeCloseTo(1.0002, 9);
  });

  it('composes the drifts of the three mappings', () => {
    const line = composeTiming({
      output,
      toHost: (l) => l * (1 - 50e-6),
      mediaAt: (h) => h / 1.0001,
      delayMs: 60,
      fromCtxMs: 0,
    });
    expect(line?.slope).toBeCloseTo((1.0002 * (1 - 50e-6)) / 1.0001, 9);
  });

  it('is null until every mapping is known', () => {
    expect(
      composeTiming({ output, toHost: () => null, mediaAt: (h) => h, delayMs: 0, fromCtxMs: 0 }),
    ).toBeNull();
    expect(
      composeTiming({ output, toHost: (l) => l, mediaAt: () => null, delayMs: 0, fromCtxMs: 0 }),
    ).toBeNull();
    expect(
      composeTiming({ output, toHost: (l) => l, mediaAt: () => Number.NaN, delayMs: 0, fromCtxMs: 0 }),
    ).toBeNull();
  });

  it('inverts a line', () => {
    expect(lineInverse(output, lineAt(output, 1234.5))).toBeCloseTo(1234.5, 9);
  });
});
