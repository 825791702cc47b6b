import { describe, expect, it } from 'vitest';
import { formatElapsed } from './time.js';

describe('formatElapsed', () => {
  it('shows hours, minutes and seconds with two digits each', () => {
    expect(formatElapsed(0)).toBe('00:00:00');
    expect(formatElapsed((12 * 60 + 34) * 1000)).toBe('00:12:34');
    expect(formatElapsed((3 * 3600 + 5 * 60 + 9) * 1000)).toBe('03:05:09');
  });

  it('counts whole seconds only (999 ms is still 0 s)', () => {
    expect(formatElapsed(999)).toBe('00:00:00');
    expect(formatElapsed(1000)).toBe('00:00:01');
  });

  it('goes past 99 hours without wrapping', () => {
    expect(formatElapsed(100 * 3600 * 1000)).toBe('100:00:00');
  });

  it('shows zero for a negative duration (a server clock estimate slightly ahead)', () => {
    expect(formatElapsed(-1500)).toBe('00:00:00');
  });
});
