import { describe, expect, it } from 'vitest';
import { AttemptLimiter, TokenBucket } from './limiters.js';

const T0 = 1_700_000_000_000;

describe('TokenBucket', () => {
  it('allows a full burst at once and refuses the next message', () => {
    const bucket = new TokenBucket(3, 1, T0);
    expect([bucket.take(T0), bucket.take(T0), bucket.take(T0)]).toEqual([true, true, true]);
    expect(bucket.take(T0)).toBe(false);
  });

  it('refills at its rate: one token after 1 / refillPerSecond seconds', () => {
    const bucket = new TokenBucket(2, 4, T0);
    bucket.take(T0);
    bucket.take(T0);
    expect(bucket.take(T0 + 249)).toBe(false);
    expect(bucket.take(T0 + 250)).toBe(true);
    expect(bucket.take(T0 + 250)).toBe(false);
  });

  it('never holds more than its capacity, however long it was idle', () => {
    const bucket = new TokenBucket(2, 1, T0);
    const later = T0 + 3_600_000;
    expect([bucket.take(later), bucket.take(later), bucket.take(later)]).toEqual([true, true, false]);
  });

  it('says 0 ms to wait while a token is available', () => {
    const bucket = new TokenBucket(1, 1, T0);
    expect(bucket.waitMs(T0)).toBe(0);
  });

  it('says how long until the next token once empty, and that wait is exactly enough', () => {
    const bucket = new TokenBucket(1, 0.5, T0);
    bucket.take(T0);
    expect(bucket.waitMs(T0)).toBe(2000);
    expect(bucket.waitMs(T0 + 500)).toBe(1500);
    expect(bucket.take(T0 + 1999)).toBe(false);
    expect(bucket.take(T0 + 2000)).toBe(true);
  });

  it('asking how long to wait does not use up a token', () => {
    const bucket = new TokenBucket(1, 1, T0);
    bucket.waitMs(T0);
    bucket.waitMs(T0);
    expect(bucket.take(T0)).toBe(true);
  });

  it('does not gain tokens when the clock goes backwards', () => {
    const bucket = new TokenBucket(1, 1, T0);
    bucket.take(T0);
    expect(bucket.take(T0 - 10_000)).toBe(false);
  });
});

describe('AttemptLimiter', () => {
  const policy = { burst: 3, leakMs: 10_000, maxKeys: 100 };

  function failTimes(limiter: AttemptLimiter, key: string, times: number, now = T0): void {
    for (let i = 0; i < times; i++) limiter.fail(key, now);
  }

  it('lets an address with no failures try at once', () => {
    expect(new AttemptLimiter(policy).retryAfterMs('10.0.0.1', T0)).toBe(0);
  });

  it('lets a burst of failures go through one after another', () => {
    const limiter = new AttemptLimiter(policy);
    for (let i = 0; i < policy.burst; i++) {
      expect(limiter.retryAfterMs('10.0.0.1', T0)).toBe(0);
      limiter.fail('10.0.0.1', T0);
    }
  });

  it('refuses the attempt after the burst and says how long to wait', () => {
    const limiter = new AttemptLimiter(policy);
    failTimes(limiter, '10.0.0.1', policy.burst);
    expect(limiter.retryAfterMs('10.0.0.1', T0)).toBe(policy.leakMs);
  });

  it('allows one attempt again once the wait it gave has passed, and not a millisecond sooner', () => {
    const limiter = new AttemptLimiter(policy);
    failTimes(limiter, '10.0.0.1', policy.burst);
    const wait = limiter.retryAfterMs('10.0.0.1', T0);
    expect(limiter.retryAfterMs('10.0.0.1', T0 + wait - 1)).toBeGreaterThan(0);
    expect(limiter.retryAfterMs('10.0.0.1', T0 + wait)).toBe(0);
  });

  it('after the burst, allows one more failure per leak period', () => {
    const limiter = new AttemptLimiter(policy);
    failTimes(limiter, '10.0.0.1', policy.burst);
    let now = T0;
    for (let i = 0; i < 5; i++) {
      now += policy.leakMs;
      expect(limiter.retryAfterMs('10.0.0.1', now)).toBe(0);
      limiter.fail('10.0.0.1', now);
      expect(limiter.retryAfterMs('10.0.0.1', now)).toBe(policy.leakMs);
    }
  });

  it('counts a wait for every failure past the burst', () => {
    const limiter = new AttemptLimiter(policy);
    failTimes(limiter, '10.0.0.1', policy.burst + 2);
    expect(limiter.retryAfterMs('10.0.0.1', T0)).toBe(3 * policy.leakMs);
  });

  it('forgets an address entirely once its score has leaked away', () => {
    const limiter = new AttemptLimiter(policy);
    failTimes(limiter, '10.0.0.1', policy.burst);
    expect(limiter.size).toBe(1);
    expect(limiter.retryAfterMs('10.0.0.1', T0 + policy.burst * policy.leakMs)).toBe(0);
    expect(limiter.size).toBe(0);
  });

  it('slows down one address without touching another', () => {
    const limiter = new AttemptLimiter(policy);
    failTimes(limiter, '10.0.0.1', policy.burst);
    expect(limiter.retryAfterMs('10.0.0.1', T0)).toBeGreaterThan(0);
    expect(limiter.retryAfterMs('10.0.0.2', T0)).toBe(0);
  });

  it('keeps counting failures while the address is refused', () => {
    const limiter = new AttemptLimiter(policy);
    failTimes(limiter, '10.0.0.1', policy.burst);
    limiter.fail('10.0.0.1', T0);
    expect(limiter.retryAfterMs('10.0.0.1', T0)).toBe(2 * policy.leakMs);
  });

  it('remembers at most maxKeys addresses, forgetting the least recently failed first', () => {
    const limiter = new AttemptLimiter({ burst: 1, leakMs: 10_000, maxKeys: 3 });
    limiter.fail('a', T0);
    limiter.fail('b', T0);
    limiter.fail('c', T0);
    limiter.fail('a', T0); // a is now the most recent
    limiter.fail('d', T0);
    expect(limiter.size).toBe(3);
    expect(limiter.retryAfterMs('b', T0)).toBe(0);
    expect(limiter.retryAfterMs('a', T0)).toBeGreaterThan(0);
    expect(limiter.retryAfterMs('c', T0)).toBeGreaterThan(0);
    expect(limiter.retryAfterMs('d', T0)).toBeGreaterThan(0);
  });

  it('stays within maxKeys under a flood of distinct addresses', () => {
    const limiter = new AttemptLimiter({ burst: 10, leakMs: 30_000, maxKeys: 50 });
    for (let i = 0; i < 1000; i++) limiter.fail(`10.0.${i >> 8}.${i & 255}`, T0);
    expect(limiter.size).toBe(50);
  });
});
