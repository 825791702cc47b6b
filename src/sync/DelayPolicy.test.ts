import { describe, expect, it } from 'vitest';
import { DelayPolicy } from './DelayPolicy.js';

describe('DelayPolicy', () => {
  it('in live mode sits just above the largest need, never below its floor', () => {
    const p = new DelayPolicy({ mode: 'live' });
    expect(p.update(0, [])).toBe(40);
    expect(p.update(0, [38, 52, 41])).toBe(62);
  });

  it('in party mode leaves room for Wi-Fi and the internet', () => {
    const p = new DelayPolicy({ mode: 'party' });
    expect(p.update(0, [40])).toBe(250);
    expect(p.update(0, [200])).toBe(400);
  });

  it('goes up at once when a member needs more, or played a late frame', () => {
    const p = new DelayPolicy({ mode: 'live' });
    p.update(0, [50]);
    expect(p.update(100, [80])).toBe(90);
    expect(p.update(200, [80], true)).toBe(100);
    // Not again right away: the raised delay needs a moment to show its effect.
    expect(p.update(1200, [80], true)).toBe(100);
    expect(p.update(3300, [80], true)).toBe(110);
  });

  it('in party mode rides out a need that creeps up a little (its reserve covers it), not a real rise', () => {
    const p = new DelayPolicy({ mode: 'party' });
    expect(p.update(0, [600])).toBe(1000);
    // 1015 and 1090: within 10 % of the delay, still half the need again in reserve.
    expect(p.update(1000, [610])).toBe(1000);
    expect(p.update(2000, [660])).toBe(1000);
    expect(p.update(3000, [700])).toBe(1150);
    // Late frames are another matter: they are heard.
    const q = new DelayPolicy({ mode: 'party' });
    q.update(0, [600]);
    expect(q.update(1000, [605], true)).toBe(1010);
  });

  it('comes down only after the need has stayed lower for a while', () => {
    const p = new DelayPolicy({ mode: 'live', lowerAfterMs: 20_000 });
    p.update(0, [100]);
    expect(p.update(1000, [50])).toBe(110);
    expect(p.update(15_000, [50])).toBe(110);
    expect(p.update(21_000, [50])).toBe(60);
  });

  it('does not hunt over a few milliseconds', () => {
    const p = new DelayPolicy({ mode: 'live', lowerAfterMs: 1000 });
    p.update(0, [50]);
    expect(p.update(5000, [47])).toBe(60);
  });

  it('switching mode applies the new mode at once', () => {
    const p = new DelayPolicy({ mode: 'live' });
    p.update(0, [50]);
    expect(p.setMode('party', [50])).toBe(250);
    expect(p.setMode('live', [50])).toBe(60);
  });

  it('in live mode stays under its ceiling, however late frames are', () => {
    const p = new DelayPolicy({ mode: 'live' });
    expect(p.update(0, [400])).toBe(250);
    expect(p.update(5000, [400], true)).toBe(250);
  });

  it('never exceeds its maximum and ignores nonsense needs', () => {
    const p = new DelayPolicy({ mode: 'party', maxDelayMs: 2000 });
    expect(p.update(0, [5000, Number.NaN])).toBe(2000);
  });
});
