/**
 * Pure rate limiters: they take the time as an argument, so tests drive them with a fake clock.
 */
export { TokenBucket } from '../common/TokenBucket.js';

export interface AttemptPolicy {
  /** Wrong guesses allowed in a burst before the key is slowed down. */
  burst: number;
  /** After the burst, one more wrong guess is allowed per this many ms (the score leaks at this rate). */
  leakMs: number;
  /** Keys remembered at most; the oldest are forgotten first (bounded memory under a spoofed flood). */
  maxKeys: number;
}

/**
 * Slows down repeated failures (wrong room codes, forged resume tokens) per key (an address).
 * Each failure adds 1 to a score that leaks 1 per `leakMs`; an attempt is refused while one more
 * failure would take the score above `burst`, so `burst` wrong guesses in a row go through. With burst 10 and leakMs 30 s a single address
 * gets at most ~2,900 guesses a day; against 1,000 live rooms among 32^6 codes that is a 0.27 %
 * chance a day of landing in any room at all. The key is the client address as clientAddress.ts
 * finds it (an IPv6 /64 is one key; behind TRUST_PROXY, the proxy's hop, never a forged entry), so
 * the bound holds however many connections the client opens.
 * Successes do not clear the score: otherwise an attacker could mix in a room of their own.
 */
export class AttemptLimiter {
  readonly #scores = new Map<string, { score: number; at: number }>();

  constructor(readonly policy: AttemptPolicy) {}

  /** 0 if an attempt may go ahead now, else the ms to wait. */
  retryAfterMs(key: string, now: number): number {
    // Refuse when one more failure would take the score past the burst.
    const excess = this.#score(key, now) + 1 - this.policy.burst;
    if (excess <= 0) return 0;
    return Math.ceil(excess * this.policy.leakMs);
  }

  fail(key: string, now: number): void {
    const score = this.#score(key, now) + 1;
    this.#scores.delete(key); // re-insert so Map order is least-recently-failed first
    this.#scores.set(key, { score, at: now });
    if (this.#scores.size > this.policy.maxKeys) {
      const oldest = this.#scores.keys().next().value;
      if (oldest !== undefined) this.#scores.delete(oldest);
    }
  }

  get size(): number {
    return this.#scores.size;
  }

  #score(key: string, now: number): number {
    const entry = this.#scores.get(key);
    if (!entry) return 0;
    const score = entry.score - Math.max(0, now - entry.at) / this.policy.leakMs;
    if (score <= 0) {
      this.#scores.delete(key);
      return 0;
    }
    return score;
  }
}
