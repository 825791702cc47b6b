/**
 * One listener's rung on the host's bitrate ladder, from what the host measures on its audio channel
 * every ~100 ms: the send buffer (bytes the data channel holds because SCTP's congestion window will
 * not take them yet), the frames it had to drop for a full buffer, and how much the listener asks for
 * again (NACKs, its loss).
 *
 * Why the send buffer: on a lossy or capped path SCTP's congestion control settles at whatever rate
 * the path carries, and when that is below the stream's rate the buffer grows until frames are
 * dropped and the sound stops (measured here at 10 % loss: 1.5-3 s silences in about a third of the
 * runs at 160 kbps, none at 64). So:
 *
 * - **Down** at once when frames were dropped, or when the buffer has held more than
 *   QUEUE_HIGH_MS of the stream for CONGESTED_FOR_MS: to the highest rung that fits in 3/4 of what
 *   the channel actually drained over the last seconds, and at least one rung down; after a failed
 *   probe, back to the rung that held. Another step down waits DOWN_SETTLE_MS, and is taken only
 *   if the buffer (still holding the old rung's bytes) does not drain.
 * - **Up** one rung when the buffer has stayed under QUEUE_CLEAN_MS for the hold time (twice as
 *   long while the listener loses over 5 % of its frames: a lossy path is where SCTP's window
 *   collapses, so it is probed more gently), counting only while the channel carries at least
 *   CARRYING_SHARE of the rung's rate. Opus is VBR: silence (before the music, a pause) is ~2 kbit/s
 *   at any rung, and a clean buffer then says nothing about the path. (Probed up through the silence
 *   before a jam's first track, a capped listener was at 256 when the music came, and lost frames
 *   before it came down.) A probe is called off at the first sign of trouble
 *   (the buffer holding 50 ms, or the loss rising 3 points). A probe that fails within PROBE_WINDOW_MS
 *   doubles the hold time (8 s up to 64 s), so a path at its limit is probed ever more rarely; a
 *   probe that held, or a step down long after the last probe (the path got worse), resets it.
 *
 * Pure: time and measurements are arguments.
 */

/** Frames per second on the wire (10 ms frames). */
const FRAMES_PER_SECOND = 100;
/** The buffer holds more than this much of the stream (ms)... */
const QUEUE_HIGH_MS = 150;
/** ...for this long (ms): congested. */
const CONGESTED_FOR_MS = 500;
/** The buffer stayed under this (ms) for the hold time: clean enough to try a rung up. */
const QUEUE_CLEAN_MS = 50;
/** After a step down, the next one waits this long (ms). */
const DOWN_SETTLE_MS = 1000;
/** A step down picks a rung that fits in this share of the measured drain rate. */
const DRAIN_SHARE = 0.75;
/** The drain rate, and the rate the channel carries, are measured over this window (ms). */
const DRAIN_WINDOW_MS = 1000;
/**
 * A clean buffer counts towards a probe up only while the channel carries at least this share of
 * the rung's bytes (Chromium's Opus, measured: a tone 1.0 of the bitrate, the click track 0.9,
 * silence 2 kbit/s at every rung).
 */
const CARRYING_SHARE = 0.5;
/**
 * A listener that has said nothing for this long (ms; its clock probes come every 500 ms) is cut
 * off: the path is down (a phone between networks, a dead NAT mapping), not narrow. No rung helps
 * then, and one picked from what the channel drains (nothing) would be the lowest for no reason; the
 * rung stays until the path carries again (the host restarts ICE meanwhile). A dying path looks
 * congested at first (the buffer grows, frames are dropped), so a step down waits until the
 * listener has been heard since the trouble began: at once on a congested path, whose listener
 * still gets its probes through, and never on a dead one.
 */
const OUTAGE_SILENT_MS = 1200;
/**
 * After an outage the channel flushes what it held, from a restarted congestion window: its buffer
 * says nothing about the path for this long (ms).
 */
const OUTAGE_RECOVER_MS = 3000;
/** The hold before the first probe up, and after a probe that held (ms)... */
const UP_HOLD_MS = 8000;
/** ...doubling after each failed probe, to at most this (ms). */
const UP_HOLD_MAX_MS = 64_000;
/** Congestion this soon after a step up (ms) means the probe failed. */
const PROBE_WINDOW_MS = 15_000;
/**
 * A probe is called off sooner than congestion elsewhere: when the buffer holds more than
 * QUEUE_CLEAN_MS for this long (ms), or the listener's loss over the last second rises PROBE_LOSS
 * above what it was before the probe (a queue on the path overflowing before SCTP backs off).
 */
const PROBE_QUEUE_FOR_MS = 200;
const PROBE_LOSS = 0.03;
/** While the listener asks for more than this share of frames again, probes wait twice as long. */
const LOSSY = 0.05;
/** Loss is measured over this window (ms). */
const LOSS_WINDOW_MS = 5000;

export interface RateSample {
  /** ms */
  now: number;
  /** Bytes waiting in the channel's send buffer now. */
  buffered: number;
  /** Bytes handed to the channel so far (frames and resends). */
  sent: number;
  /** Frames dropped so far because the channel was backed up. */
  dropped: number;
  /** Frames sent so far. */
  frames: number;
  /** Frames the listener asked for again so far (NACKed seqs). */
  nacked: number;
  /** How long since anything came from the listener (ms). */
  silentMs: number;
}

export interface RateCounters {
  downs: number;
  ups: number;
  failedProbes: number;
}

export class RateControl {
  readonly counters: RateCounters = { downs: 0, ups: 0, failedProbes: 0 };
  #rung: number;
  readonly #samples: RateSample[] = [];
  /** Since when the buffer has held more than QUEUE_HIGH_MS, or null. */
  #highSince: number | null = null;
  /** Since when the buffer has held less than QUEUE_CLEAN_MS, or null. */
  #cleanSince: number | null = null;
  #lastChangeAt: number | null = null;
  #lastDownAt = Number.NEGATIVE_INFINITY;
  #lastUpAt = Number.NEGATIVE_INFINITY;
  #upHoldMs = UP_HOLD_MS;
  /** The listener's loss when the last probe began. */
  #lossBeforeProbe = 0;
  /** Since when the buffer has held more than QUEUE_CLEAN_MS during a probe, or null. */
  #probeQueueSince: number | null = null;
  #lastOutageAt = Number.NEGATIVE_INFINITY;
  /** Congestion seen then, not acted on until the listener is heard since (OUTAGE_SILENT_MS). */
  #pendingSince: number | null = null;
  /** The send buffer at the last step down, until it drained below the high mark. */
  #bufferedAtDown: number | null = null;

  /**
   * @param ladder bitrates (bit/s), highest first
   * @param start the rung a new listener starts at (index into the ladder)
   * @param headerBytes bytes each frame adds on the channel beyond the Opus packet
   */
  constructor(
    readonly ladder: readonly number[],
    start: number,
    readonly headerBytes: number,
  ) {
    if (ladder.length === 0) throw new RangeError('empty ladder');
    this.#rung = Math.min(Math.max(0, start), ladder.length - 1);
  }

  get rung(): number {
    return this.#rung;
  }

  /** How long the next probe up waits (ms). */
  get upHoldMs(): number {
    return this.#upHoldMs;
  }

  /** The channel's bytes per second at rung `r`. */
  bytesPerSecond(r: number): number {
    return (this.ladder[r] ?? 0) / 8 + FRAMES_PER_SECOND * this.headerBytes;
  }

  /** Takes one measurement; returns the rung to send from now on. */
  update(s: RateSample): number {
    const prev = this.#samples.at(-1);
    this.#samples.push(s);
    while ((this.#samples[0]?.now ?? s.now) < s.now - Math.max(DRAIN_WINDOW_MS, LOSS_WINDOW_MS)) {
      this.#samples.shift();
    }
    this.#lastChangeAt ??= s.now;
    const queueMs = (s.buffered / this.bytesPerSecond(this.#rung)) * 1000;
    if (queueMs > QUEUE_HIGH_MS) this.#highSince ??= s.now;
    else this.#highSince = null;
    const carrying = this.#sendRate(s) >= CARRYING_SHARE * this.bytesPerSecond(this.#rung);
    if (queueMs < QUEUE_CLEAN_MS && carrying) this.#cleanSince ??= s.now;
    else this.#cleanSince = null;

    if (s.silentMs >= OUTAGE_SILENT_MS) this.#lastOutageAt = s.now;
    if (s.now - this.#lastOutageAt < OUTAGE_RECOVER_MS) {
      this.#highSince = null;
      this.#cleanSince = null;
      this.#probeQueueSince = null;
      this.#pendingSince = null;
      return this.#rung;
    }
    const dropped = prev !== undefined && s.dropped > prev.dropped;
    // After a step down the buffer still holds the old rung's bytes: only a buffer that does not
    // drain says the new rung is too much as well.
    const draining = this.#bufferedAtDown !== null && s.buffered < this.#bufferedAtDown;
    if (queueMs <= QUEUE_HIGH_MS) this.#bufferedAtDown = null;
    const probing = s.now - this.#lastUpAt < PROBE_WINDOW_MS;
    if (!probing && this.#lastUpAt > Number.NEGATIVE_INFINITY) {
      // The probe held: the next one waits only the base hold.
      this.#lastUpAt = Number.NEGATIVE_INFINITY;
      this.#upHoldMs = UP_HOLD_MS;
    }
    if (probing && queueMs > QUEUE_CLEAN_MS) this.#probeQueueSince ??= s.now;
    else this.#probeQueueSince = null;
    const probeFailed =
      probing &&
      ((this.#probeQueueSince !== null && s.now - this.#probeQueueSince >= PROBE_QUEUE_FOR_MS) ||
        this.#loss(s, 1000) > this.#lossBeforeProbe + PROBE_LOSS);
    const congested =
      dropped ||
      probeFailed ||
      (!draining && this.#highSince !== null && s.now - this.#highSince >= CONGESTED_FOR_MS);
    if (congested) this.#pendingSince ??= s.now;
    if (this.#pendingSince !== null) {
      if (s.silentMs <= s.now - this.#pendingSince) {
        // Heard since the trouble began: congestion, not an outage.
        this.#pendingSince = null;
        if (this.#rung < this.ladder.length - 1 && s.now - this.#lastDownAt >= DOWN_SETTLE_MS) this.#down(s);
      }
      return this.#rung;
    }
    const hold = this.#loss(s) > LOSSY ? 2 * this.#upHoldMs : this.#upHoldMs;
    if (
      this.#rung > 0 &&
      this.#cleanSince !== null &&
      s.now - this.#cleanSince >= hold &&
      s.now - this.#lastChangeAt >= hold
    ) {
      this.#rung--;
      this.counters.ups++;
      this.#lossBeforeProbe = this.#loss(s);
      this.#lastUpAt = s.now;
      this.#lastChangeAt = s.now;
    }
    return this.#rung;
  }

  #down(s: RateSample): void {
    let next = this.#rung + 1;
    if (s.now - this.#lastUpAt < PROBE_WINDOW_MS) {
      // A failed probe: back to the rung it came from, which held, and probe later.
      this.counters.failedProbes++;
      this.#upHoldMs = Math.min(UP_HOLD_MAX_MS, this.#upHoldMs * 2);
      this.#lastUpAt = Number.NEGATIVE_INFINITY;
    } else {
      // The path got worse: to what it carries now.
      const drain = this.#drainRate(s);
      while (next < this.ladder.length - 1 && this.bytesPerSecond(next) > DRAIN_SHARE * drain) next++;
      this.#upHoldMs = UP_HOLD_MS;
    }
    this.#rung = next;
    this.counters.downs++;
    this.#lastDownAt = s.now;
    this.#lastChangeAt = s.now;
    this.#bufferedAtDown = s.buffered;
    this.#highSince = null;
    this.#cleanSince = null;
  }

  /** Bytes per second the channel actually sent on over the window (sent minus what it still holds). */
  #drainRate(s: RateSample): number {
    return this.#perSecond(s, (x) => x.sent - x.buffered);
  }

  /** Bytes per second handed to the channel over the window. */
  #sendRate(s: RateSample): number {
    return this.#perSecond(s, (x) => x.sent);
  }

  /** How fast `count` grew over the last DRAIN_WINDOW_MS, per second (0 before there is a window). */
  #perSecond(s: RateSample, count: (x: RateSample) => number): number {
    const from = this.#samples.find((x) => x.now >= s.now - DRAIN_WINDOW_MS) ?? s;
    const dt = (s.now - from.now) / 1000;
    if (dt <= 0) return 0;
    return Math.max(0, (count(s) - count(from)) / dt);
  }

  /** Share of frames the listener asked for again over the last `windowMs`. */
  #loss(s: RateSample, windowMs = LOSS_WINDOW_MS): number {
    const from = this.#samples.find((x) => x.now >= s.now - windowMs) ?? s;
    const frames = s.frames - from.frames;
    return frames > 0 ? (s.nacked - from.nacked) / frames : 0;
  }
}
