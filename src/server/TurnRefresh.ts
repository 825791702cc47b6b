import type { IceServer } from '../protocol/index.js';
import type { Clock } from './Hub.js';
import { type IceConfig, iceServersFor } from './turn.js';

/**
 * Milliseconds from `nowMs` until a credential minted now has a quarter of its life left (its
 * expiry is whole seconds, rounded down: see mintTurnCredential). Then the member gets fresh ones.
 */
export function refreshDelayMs(ttlSeconds: number, nowMs: number): number {
  const expiryMs = (Math.floor(nowMs / 1000) + ttlSeconds) * 1000;
  return Math.max(0, expiryMs - ttlSeconds * 250 - nowMs);
}

/**
 * Keeps every member's TURN credential fresh: each time a member is handed ICE servers, the next
 * ones are due when those have a quarter of their TTL left. A connection made within the TTL
 * outlives its credential (coturn checks it only at allocation), but an ICE restart after the
 * expiry gathers anew and needs a credential that is still valid: a phone changing networks after
 * an hour must still reach the relay.
 */
export class TurnRefresh {
  /** peerId -> the timer of its next credential. */
  readonly #timers = new Map<string, unknown>();
  readonly #enabled: boolean;

  constructor(
    readonly config: IceConfig,
    readonly clock: Clock,
    /** Hands `peerId` these servers; false if it cannot be reached now (it gets fresh ones on resume). */
    readonly deliver: (peerId: string, iceServers: IceServer[]) => boolean,
  ) {
    // Without TURN there is nothing that expires.
    this.#enabled = config.turnUrls.length > 0 && Boolean(config.turnSecret);
  }

  /** How many members have a refresh coming. */
  get pending(): number {
    return this.#timers.size;
  }

  /** `peerId` was just handed ICE servers minted now (joined, or a refresh). */
  sent(peerId: string): void {
    if (!this.#enabled) return;
    this.forget(peerId);
    const delay = refreshDelayMs(this.config.turnTtlSeconds, this.clock.now());
    const timer = this.clock.setTimeout(() => {
      this.#timers.delete(peerId);
      const servers = iceServersFor(this.config, peerId, this.clock.now());
      if (this.deliver(peerId, servers)) this.sent(peerId);
    }, delay);
    this.#timers.set(peerId, timer);
  }

  /** `peerId` is gone from its room: no more credentials. */
  forget(peerId: string): void {
    const timer = this.#timers.get(peerId);
    if (timer === undefined) return;
    this.clock.clearTimeout(timer);
    this.#timers.delete(peerId);
  }
}
