/** One exchange with the server: when we sent, when the answer came (local clock), and its stamp. */
export interface ClockSample {
  sentAt: number;
  receivedAt: number;
  /** The server's clock when it answered. */
  serverTime: number;
}

interface Measured {
  offset: number;
  roundTrip: number;
}

/**
 * Estimates `serverClock - localClock` from request/answer pairs.
 *
 * The server stamped its answer somewhere between our send and our receive, so the best single guess
 * is the midpoint: offset = serverTime - (sentAt + receivedAt) / 2, wrong by at most half the round
 * trip. Queuing (a busy Wi-Fi, a slow server tick) only ever adds delay, and usually on one side, so
 * the sample with the lowest round trip is the one whose midpoint is most trustworthy: that is the
 * one we keep (NTP's clock filter and Beatsync make the same choice). Only the last `window` samples
 * count, so a local clock that was stepped (NTP, a laptop waking up) is followed within a window.
 */
export class ClockOffsetEstimator {
  readonly #samples: Measured[] = [];

  constructor(readonly window = 8) {}

  /** Adds a sample; one with a negative round trip (the local clock stepped back) is ignored. */
  add(sample: ClockSample): void {
    const roundTrip = sample.receivedAt - sample.sentAt;
    if (!Number.isFinite(roundTrip) || roundTrip < 0 || !Number.isFinite(sample.serverTime)) return;
    this.#samples.push({ roundTrip, offset: sample.serverTime - (sample.sentAt + sample.receivedAt) / 2 });
    if (this.#samples.length > this.window) this.#samples.shift();
  }

  #best(): Measured | undefined {
    let best: Measured | undefined;
    for (const s of this.#samples) if (!best || s.roundTrip < best.roundTrip) best = s;
    return best;
  }

  /** serverClock - localClock in ms, or undefined before the first sample. */
  get offset(): number | undefined {
    return this.#best()?.offset;
  }

  /** Round trip of the sample in use: twice the worst-case error of `offset`. */
  get roundTrip(): number | undefined {
    return this.#best()?.roundTrip;
  }

  /** The server's clock now, given the local clock now (assumes offset 0 before any sample). */
  serverNow(localNow: number): number {
    return localNow + (this.offset ?? 0);
  }

  /** A server timestamp on the local clock (e.g. to show when a chat line was written). */
  toLocal(serverTime: number): number {
    return serverTime - (this.offset ?? 0);
  }
}
