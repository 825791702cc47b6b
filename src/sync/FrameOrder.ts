/**
 * FrameOrder: a listener's loss recovery in front of its decoder. Frames come over an unordered,
 * unreliable channel; the Opus decoder wants them in order (its state carries from one packet to
 * the next). FrameOrder holds frames that come early, releases them in sequence, asks the host to
 * send a missing frame again (NACK) while a resend can still arrive in time, and gives up on a
 * missing frame only at its deadline (the last moment it could still be decoded and played), so
 * nothing after it waits longer than it can afford to.
 *
 * Pure: time and deadlines are arguments. The media worker feeds arrivals to `push()`, calls
 * `poll()` every few ms, decodes what comes out and sends the NACKs.
 */

export interface FrameOrderOptions {
  /**
   * A gap younger than this is taken for reordering, not loss: no NACK yet (ms). Default 5. On a
   * path that reorders, the grace grows to the 95th percentile of how late reordered frames come
   * (up to maxGraceMs), so they are not asked for again needlessly.
   */
  graceMs?: number;
  /** The most the grace grows to (ms). Default 100. */
  maxGraceMs?: number;
  /** Time between NACKs of one frame, at least (ms); also at least 1.5 round trips. Default 20. */
  retryMs?: number;
  /** NACKs per missing frame, at most. Default 8. */
  maxNacks?: number;
  /** A jump ahead by more than this many frames is a new start, not a loss. Default 500 (5 s). */
  maxGap?: number;
}

export interface FrameOrderCounters {
  /** Frames found missing (a later one came first). */
  missing: number;
  /** Missing frames that came after all (reordered, or resent after a NACK). */
  recovered: number;
  /** Missing frames given up at their deadline (the playout conceals them). */
  skipped: number;
  /** Frames that came twice, or after they were given up. */
  dropped: number;
  /** NACKs asked for (one per frame per request). */
  nacks: number;
}

/** When a frame must be decoded at the latest (local ms), or null if unknown (then nothing waits). */
export type DeadlineOf = (seq: number) => number | null;

/** Reordered frames remembered for the grace. */
const REORDER_SAMPLES = 128;
/** Resend turnarounds (NACK sent -> resent frame in) remembered for the retry interval. */
const TURNAROUND_SAMPLES = 64;

interface Missing {
  since: number;
  nacks: number;
  lastNack: number;
}

export class FrameOrder<F> {
  readonly counters: FrameOrderCounters = { missing: 0, recovered: 0, skipped: 0, dropped: 0, nacks: 0 };
  readonly #graceMs: number;
  readonly #maxGraceMs: number;
  /** How late reordered frames came (ms), the last REORDER_SAMPLES of them, and the grace they give. */
  readonly #reorderLate: number[] = [];
  #reorderNext = 0;
  #grace: number;
  #sinceGrace = 0;
  /** How long resends took to come (ms), the last TURNAROUND_SAMPLES, and their 90th percentile. */
  readonly #turnarounds: number[] = [];
  #turnaroundNext = 0;
  #turnaroundP90 = 0;
  readonly #retryMs: number;
  readonly #maxNacks: number;
  readonly #maxGap: number;
  readonly #held = new Map<number, F>();
  readonly #missing = new Map<number, Missing>();
  /** The next sequence number to release; NaN before the first frame. */
  #next = Number.NaN;
  /** The highest sequence number seen. */
  #highest = Number.NaN;

  constructor(options: FrameOrderOptions = {}) {
    this.#graceMs = options.graceMs ?? 5;
    this.#maxGraceMs = options.maxGraceMs ?? 100;
    this.#grace = this.#graceMs;
    this.#retryMs = options.retryMs ?? 20;
    this.#maxNacks = options.maxNacks ?? 8;
    this.#maxGap = options.maxGap ?? 500;
  }

  /** The wait before a gap is asked for (ms): graceMs, or more on a path that reorders. */
  get graceMs(): number {
    return this.#grace;
  }

  /** Frames held back, waiting for an earlier one. */
  get held(): number {
    return this.#held.size;
  }

  /** A new stream: forget everything (what is held is handed back, in order, to be decoded or dropped). */
  reset(): F[] {
    const out = [...this.#held.entries()].sort((a, b) => a[0] - b[0]).map(([, f]) => f);
    this.#held.clear();
    this.#missing.clear();
    this.#next = Number.NaN;
    this.#highest = Number.NaN;
    return out;
  }

  /**
   * Frame `seq` arrived at `now` (`resent`: in answer to a NACK): returns the frames now ready for
   * the decoder, in order.
   */
  push(seq: number, frame: F, now: number, resent = false): F[] {
    if (!Number.isInteger(seq) || seq < 0) {
      this.counters.dropped++;
      return [];
    }
    if (Number.isNaN(this.#next) || seq - this.#highest > this.#maxGap) {
      // The first frame, or a jump no loss explains (the host restarted its count): start here.
      const out = this.reset();
      this.#next = seq;
      this.#highest = seq;
      this.#held.set(seq, frame);
      return out.concat(this.#release());
    }
    if (seq < this.#next || this.#held.has(seq)) {
      this.counters.dropped++;
      return [];
    }
    this.#held.set(seq, frame);
    if (seq > this.#highest) {
      for (let s = this.#highest + 1; s < seq; s++) {
        this.#missing.set(s, { since: now, nacks: 0, lastNack: Number.NEGATIVE_INFINITY });
        this.counters.missing++;
      }
      this.#highest = seq;
    } else {
      const m = this.#missing.get(seq);
      if (m) {
        this.#missing.delete(seq);
        this.counters.recovered++;
        if (!resent) this.#reordered(now - m.since);
        else if (Number.isFinite(m.lastNack)) this.#turnaround(now - m.lastNack);
      }
    }
    return this.#release();
  }

  /**
   * Time passes: gives up on missing frames whose deadline has come (releasing what waited behind
   * them), and returns the frames to NACK now: missing past the grace, not asked for too recently,
   * and with time left for a resend to arrive (`rttMs`).
   */
  poll(now: number, deadlineOf: DeadlineOf, rttMs: number): { ready: F[]; nack: number[] } {
    const ready: F[] = [];
    while (!Number.isNaN(this.#next) && this.#next <= this.#highest && !this.#held.has(this.#next)) {
      const deadline = deadlineOf(this.#next);
      if (deadline !== null && now < deadline) break;
      this.#missing.delete(this.#next);
      this.counters.skipped++;
      this.#next++;
      ready.push(...this.#release());
    }
    const nack: number[] = [];
    // Asked again only once an answer is overdue: after 1.5 x the clock's lowest round trip, or the
    // resends' own turnaround (a jittery path and the host's worker make it longer; asking sooner
    // only brings duplicates, which use up the host's resend budget and leave other frames lost).
    const retry = Math.max(this.#retryMs, 1.5 * rttMs, 1.2 * this.#turnaroundP90);
    for (const [seq, m] of this.#missing) {
      if (now - m.since < this.#grace || now - m.lastNack < retry || m.nacks >= this.#maxNacks) continue;
      const deadline = deadlineOf(seq);
      if (deadline === null || now + rttMs >= deadline) continue;
      m.nacks++;
      m.lastNack = now;
      nack.push(seq);
    }
    this.counters.nacks += nack.length;
    return { ready, nack };
  }

  /** A frame that came late by itself (reordered, not lost): the grace follows how late they come. */
  #reordered(lateMs: number): void {
    this.#reorderLate[this.#reorderNext] = lateMs;
    this.#reorderNext = (this.#reorderNext + 1) % REORDER_SAMPLES;
    if (++this.#sinceGrace < 16) return;
    this.#sinceGrace = 0;
    const sorted = [...this.#reorderLate].sort((a, b) => a - b);
    const p95 = sorted[Math.floor(0.95 * (sorted.length - 1))] ?? 0;
    this.#grace = Math.min(this.#maxGraceMs, Math.max(this.#graceMs, p95));
  }

  /** The retry interval's measure: the 90th percentile of recent resend turnarounds (ms). */
  get turnaroundMs(): number {
    return this.#turnaroundP90;
  }

  #turnaround(ms: number): void {
    this.#turnarounds[this.#turnaroundNext] = ms;
    this.#turnaroundNext = (this.#turnaroundNext + 1) % TURNAROUND_SAMPLES;
    const sorted = [...this.#turnarounds].sort((a, b) => a - b);
    this.#turnaroundP90 = sorted[Math.floor(0.9 * (sorted.length - 1))] ?? 0;
  }

  #release(): F[] {
    const out: F[] = [];
    for (;;) {
      const f = this.#held.get(this.#next);
      if (f === undefined) return out;
      this.#held.delete(this.#next);
      out.push(f);
      this.#next++;
    }
  }
}
