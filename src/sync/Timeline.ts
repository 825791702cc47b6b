/** The measured stamps may leave the timeline by this much (ms) before it is drawn again. */
export const TIMELINE_TOLERANCE_MS = 2;
/** A new line closes the gap to the measurement over this much media time (ms)... */
const CLOSE_OVER_MS = 8000;
/** ...and goes on at the measured rate once it is this close (ms). */
const CLOSED_MS = 0.25;

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
 * TIMELINE_TOLERANCE_MS (from the same point, with a rate that closes the gap over 8 s: the stamps
 * never jump, so no device's playout has to) or the capture clock stepped (a real jump). Each new
 * line gets a new epoch (AudioFrame epoch), and every receiver switches to it on the first frame
 * that carries it. Between two epochs any two stamps give every receiver the same line. Pure.
 */
export class Timeline {
  #anchor: {
    mediaMs: number;
    hostMs: number;
    slope: number;
    /** The gap (ms) this line is closing, 0 when it runs at the measured rate. */
    closing: number;
  } | null = null;
  #captureEpoch = -1;
  #epoch = 0;
  #redraws = 0;

  /**
   * The stamp of the frame starting at `mediaMs` (ms of the stream), given its measured production
   * time `measuredMs` (host clock), the measurement's rate (host ms per media ms) and its epoch.
   */
  stamp(mediaMs: number, measuredMs: number, slope: number, captureEpoch: number): number {
    const a = this.#anchor;
    if (!a || captureEpoch !== this.#captureEpoch) {
      // The first line, or the capture clock really stepped: the line starts where the measurement is.
      if (a) this.#newEpoch();
      this.#anchor = { mediaMs, hostMs: measuredMs, slope, closing: 0 };
      this.#captureEpoch = captureEpoch;
      return measuredMs;
    }
    const t = a.hostMs + a.slope * (mediaMs - a.mediaMs);
    const gap = measuredMs - t;
    // While a gap closes the line is apart by design: only a measurement that moves further counts.
    if (Math.abs(gap) > TIMELINE_TOLERANCE_MS + Math.abs(a.closing)) {
      // Drifted apart: a new line from this very point (no jump), whose rate closes the gap over
      // CLOSE_OVER_MS; 2 ms over 8 s is 250 ppm, far below what an ear notices.
      this.#newEpoch();
      this.#anchor = { mediaMs, hostMs: t, slope: slope + gap / CLOSE_OVER_MS, closing: gap };
    } else if (a.closing !== 0 && (Math.abs(gap) <= CLOSED_MS || gap * a.closing < 0)) {
      // The gap is closed (or the measurement came back past the line): on at the measured rate,
      // again from this very point.
      this.#newEpoch();
      this.#anchor = { mediaMs, hostMs: t, slope, closing: 0 };
    }
    return t;
  }

  /** Changes (mod 65536) whenever the line is drawn again. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Times the line was drawn again. */
  get redraws(): number {
    return this.#redraws;
  }

  #newEpoch(): void {
    this.#epoch = (this.#epoch + 1) & 0xffff;
    this.#redraws++;
  }
}
