/** The measured stamps may leave the timeline by this much (ms) before it is drawn again. */
export const TIMELINE_TOLERANCE_MS = 2;

/**
 * The host's media timeline: when (host clock) each sample of the stream was produced, as sent in
 * every frame's stamp. Every device, the host's own included, plays sample m at timeline(m) + D, so
 * the devices agree exactly when they agree on the timeline; how close the timeline is to the true
 * production time only moves the latency.
 *
 * The measurement (CaptureClock) refits its line as arrivals come in, so stamps taken from it
 * straight bend a little all the time, and more under load; each receiver fitted those bends with its
 * own history (when it joined, which frames it lost) and settled a few ms apart from the others
 * (measured here: devices 5-8 ms apart after a loaded minute). So the stamps sent are a straight
 * line, exact in float64, drawn again only when the measurement leaves it by more than
 * TIMELINE_TOLERANCE_MS or the capture clock stepped; each new line gets a new epoch (AudioFrame
 * epoch), and every receiver switches to it on the first frame that carries it. Between two epochs
 * any two stamps give every receiver the same line. Pure.
 */
export class Timeline {
  #anchor: { mediaMs: number; hostMs: number; slope: number } | null = null;
  #captureEpoch = -1;
  #epoch = 0;
  #redraws = 0;

  /**
   * The stamp of the frame starting at `mediaMs` (ms of the stream), given its measured production
   * time `measuredMs` (host clock), the measurement's rate (host ms per media ms) and its epoch.
   */
  stamp(mediaMs: number, measuredMs: number, slope: number, captureEpoch: number): number {
    const a = this.#anchor;
    if (a && captureEpoch === this.#captureEpoch) {
      const t = a.hostMs + a.slope * (mediaMs - a.mediaMs);
      if (Math.abs(measuredMs - t) <= TIMELINE_TOLERANCE_MS) return t;
    }
    if (a) {
      this.#epoch = (this.#epoch + 1) & 0xffff;
      this.#redraws++;
    }
    this.#anchor = { mediaMs, hostMs: measuredMs, slope };
    this.#captureEpoch = captureEpoch;
    return measuredMs;
  }

  /** Changes (mod 65536) whenever the line is drawn again. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Times the line was drawn again. */
  get redraws(): number {
    return this.#redraws;
  }
}
