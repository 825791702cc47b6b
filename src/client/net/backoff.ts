export interface BackoffOptions {
  /** Delay before the first retry. */
  baseMs: number;
  /** Delays double per attempt up to this. */
  maxMs: number;
  /** Spread as a fraction of the delay: 0.5 gives 75 %..125 %. */
  jitter: number;
}

/**
 * Reconnecting: the first retry after a quarter second (a blip, a server restart), doubling to 5 s so
 * a phone in a tunnel does not spin its radio. The jitter keeps every client of a restarted server
 * from knocking in the same millisecond.
 */
export const RECONNECT_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 5000, jitter: 0.5 };

/** The wait before retry number `attempt` (0-based). `random` returns [0, 1), as Math.random does. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = RECONNECT_BACKOFF,
  random: () => number = Math.random,
): number {
  // Cap the exponent too, so a very long outage cannot overflow to Infinity.
  const exponential = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  const spread = 1 - options.jitter / 2 + options.jitter * random();
  return Math.round(exponential * spread);
}
