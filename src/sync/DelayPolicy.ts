import type { SyncMode } from '../protocol/media.js';

/**
 * The room's playout delay D: how long after a sample's stamp every device emits it. One D for the
 * whole room (the devices must agree to play together), chosen from what every member measures.
 *
 * Each member reports the delay it needs: the 99th percentile of how old frames are when they
 * arrive (capture -> encode -> network -> here), plus how far ahead of the speaker its audio
 * worklet renders (the output latency, ~30 ms in Chromium's 'interactive' mode) plus decoding.
 * D is the largest need plus a margin:
 *
 * - **live**: as low as the network allows: margin 10 ms, floor 40 ms, ceiling 250 ms. A LAN gives
 *   ~50-70 ms.
 * - **party**: robust for Wi-Fi and the internet: need x 1.5 + 100 ms, floor 250 ms.
 *
 * D goes up at once when a member needs more (a late frame is an audible gap) and comes down only
 * after the need has stayed well below it for `lowerAfterMs`, so it does not hunt.
 */
export interface DelayPolicyOptions {
  mode: SyncMode;
  lowerAfterMs?: number;
  maxDelayMs?: number;
}

/** The most D ever is (ms). The playout's ring holds more than this (playout.worklet.ts). */
export const MAX_DELAY_MS = 3000;
const LIVE_MARGIN_MS = 10;
/** After a bump for late frames, wait this long before another: the new delay needs time to show. */
const LATE_BUMP_EVERY_MS = 3000;
const LIVE_FLOOR_MS = 40;
/** Live mode never goes above this: a network that needs more is one for Party mode. */
const LIVE_CEILING_MS = 250;
const PARTY_FACTOR = 1.5;
const PARTY_MARGIN_MS = 100;
const PARTY_FLOOR_MS = 250;
/** Changes smaller than this are not worth a re-sync. */
const MIN_CHANGE_MS = 5;
/**
 * Party's D already holds half the need again in reserve, so a need that grows a little is still
 * covered: D goes up only when the target passes it by this share. Every change of D moves every
 * device's playout (a re-sync, a pause when it grows); on a jittery path the need creeps up by a
 * few ms at a time, and following each step re-synced the whole room every few seconds.
 */
const PARTY_RAISE_SHARE = 0.1;

export class DelayPolicy {
  #mode: SyncMode;
  #delay: number;
  #lowSince: number | null = null;
  #lastBump = Number.NEGATIVE_INFINITY;
  readonly #lowerAfterMs: number;
  readonly #maxDelayMs: number;

  constructor(options: DelayPolicyOptions) {
    this.#mode = options.mode;
    this.#lowerAfterMs = options.lowerAfterMs ?? 20_000;
    this.#maxDelayMs = options.maxDelayMs ?? MAX_DELAY_MS;
    this.#delay = this.#floor();
  }

  get mode(): SyncMode {
    return this.#mode;
  }

  get delayMs(): number {
    return this.#delay;
  }

  setMode(mode: SyncMode, needs: number[]): number {
    this.#mode = mode;
    this.#delay = this.target(needs);
    this.#lowSince = null;
    return this.#delay;
  }

  /** The delay the room would want for these needs, ignoring hysteresis. */
  target(needs: number[]): number {
    const need = needs.length > 0 ? Math.max(...needs.filter(Number.isFinite), 0) : 0;
    const wanted =
      this.#mode === 'live'
        ? Math.min(LIVE_CEILING_MS, Math.max(LIVE_FLOOR_MS, need + LIVE_MARGIN_MS))
        : Math.max(PARTY_FLOOR_MS, need * PARTY_FACTOR + PARTY_MARGIN_MS);
    return Math.min(this.#maxDelayMs, Math.ceil(wanted));
  }

  /**
   * Feeds the latest needs (ms, one per member) and whether members are getting frames too late
   * (the caller decides what counts: a few late frames in a second); returns the delay to use now.
   * Late frames raise the delay by the margin, at most once per LATE_BUMP_EVERY_MS.
   */
  update(now: number, needs: number[], lateFrames = false): number {
    let target = this.target(needs);
    if (lateFrames && now - this.#lastBump >= LATE_BUMP_EVERY_MS) {
      target = Math.max(target, Math.min(this.#ceiling(), this.#delay + LIVE_MARGIN_MS));
      this.#lastBump = now;
    }
    const covered = this.#mode === 'party' && !lateFrames && target <= this.#delay * (1 + PARTY_RAISE_SHARE);
    if (target > this.#delay && !covered) {
      this.#delay = Math.min(this.#maxDelayMs, target);
      this.#lowSince = null;
    } else if (target > this.#delay) {
      this.#lowSince = null;
    } else if (this.#delay - target >= MIN_CHANGE_MS) {
      this.#lowSince ??= now;
      if (now - this.#lowSince >= this.#lowerAfterMs) {
        this.#delay = target;
        this.#lowSince = null;
      }
    } else {
      this.#lowSince = null;
    }
    return this.#delay;
  }

  #ceiling(): number {
    return this.#mode === 'live' ? LIVE_CEILING_MS : this.#maxDelayMs;
  }

  #floor(): number {
    return this.#mode === 'live' ? LIVE_FLOOR_MS : PARTY_FLOOR_MS;
  }
}
