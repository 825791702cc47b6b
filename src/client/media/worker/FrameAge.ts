import { OPUS_DELAY_MS } from '../../../protocol/mediaWire.js';
import { Percentile } from '../stats.js';

/** Decoding and handing over take a little time; budget it in the delay a device asks for. */
const DECODE_MARGIN_MS = 5;

/**
 * How old frames are when a device gets them (host clock now minus stamp), over the last 30 s
 * (3000 frames), and the room delay that device needs from it. Live mode asks for the 95th
 * percentile (an outage that holds up a few % of the frames is concealed rather than paid for with
 * latency all the time), Party mode for the 99.9th (docs/sync.md, "The room delay D").
 */
export class FrameAge {
  readonly #ages = new Percentile(3000);
  #quantile = 0.95;
  #max = 0;

  add(ageMs: number): void {
    this.#ages.add(ageMs);
    if (ageMs > this.#max) this.#max = ageMs;
  }

  setRobust(robust: boolean): void {
    this.#quantile = robust ? 0.999 : 0.95;
  }

  /** Several quantiles from one sort. */
  quantiles(...qs: number[]): number[] {
    return this.#ages.quantiles(...qs);
  }

  /** The oldest frame since the last call (diagnostics). */
  takeMax(): number {
    const m = this.#max;
    this.#max = 0;
    return m;
  }

  /**
   * The delay this device needs: frame age, plus Opus's delay (a frame's first sample plays that
   * much before its stamp's sample, see Schedule.push), plus its render lead, plus decoding.
   */
  needMs(renderLeadMs: number): number {
    const age = this.#ages.quantile(this.#quantile);
    return (
      (Number.isFinite(age) ? Math.max(0, age) : 0) +
      OPUS_DELAY_MS +
      Math.max(0, renderLeadMs) +
      DECODE_MARGIN_MS
    );
  }

  reset(): void {
    this.#ages.reset();
    this.#max = 0;
  }
}
