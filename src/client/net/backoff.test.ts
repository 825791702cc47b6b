import { describe, expect, it } from 'vitest';
import { backoffDelay, RECONNECT_BACKOFF } from './backoff.js';

const middle = () => 0.5;

describe('backoffDelay', () => {
  it('starts at 250 ms and doubles per attempt', () => {
    expect([0, 1, 2, 3, 4].map((a) => backoffDelay(a, RECONNECT_BACKOFF, middle))).toEqual([
      250, 500, 1000, 2000, 4000,
    ]);
  });

  it('never waits more than 5 s (plus jitter), however long the outage', () => {
    expect(backoffDelay(5, RECONNECT_BACKOFF, middle)).toBe(5000);
    expect(backoffDelay(10_000, RECONNECT_BACKOFF, middle)).toBe(5000);
    expect(backoffDelay(10_000, RECONNECT_BACKOFF, () => 0.999_999)).toBeLessThanOrEqual(6250);
  });

  it('spreads each delay over 75 %..125 % so clients of a restarted server do not all come back at once', () => {
    expect(backoffDelay(2, RECONNECT_BACKOFF, () => 0)).toBe(750);
    expect(backoffDelay(2, RECONNECT_BACKOFF, () => 0.999_999)).toBe(1250);
  });
});
