import { LineFit } from './LineFit.js';
import type { AffineLine } from './TimingLine.js';

/**
 * The host's media timeline as a listener sees it: a line from media time (the sample index of a
 * stream, in ms: index / 48) to host-clock time, fitted to the stamps on audio frames.
 *
 * The playout buffer indexes samples by media time, which is exact (frame n starts at n * 10 ms);
 * host-clock stamps carry a little noise. Fitting one to the other gives the playout a sample-exact
 * grid and a host-clock schedule at once, and follows the host sound card's drift (the slope).
 */
export class MediaClock {
  // The host's stamps lie exactly on one line per epoch (Timeline), so after an epoch change the
  // slope of the new points is believed from 100 ms on, instead of holding the old one for seconds.
  readonly #fit = new LineFit(
    { windowX: 60_000, maxPoints: 1500, outlierY: 5, stepPoints: 8, stepY: 5, minSlopeSpan: 100 },
    1,
  );

  add(mediaMs: number, hostMs: number): void {
    this.#fit.add(mediaMs, hostMs);
  }

  get ready(): boolean {
    return this.#fit.line !== null;
  }

  /** Host-clock time at which media time `mediaMs` was stamped. */
  hostTimeOf(mediaMs: number): number {
    return this.#fit.at(mediaMs);
  }

  /** Media time stamped at host-clock time `hostMs`. */
  mediaTimeAt(hostMs: number): number {
    return this.#fit.inverse(hostMs);
  }

  /** The fitted line (media ms -> host ms), or null before the first stamp. */
  get line(): AffineLine | null {
    const l = this.#fit.line;
    return l ? { x0: l.x0, y0: l.y0, slope: l.slope } : null;
  }

  /** Host ms per media ms. */
  get slope(): number {
    return this.#fit.line?.slope ?? 1;
  }

  reset(): void {
    this.#fit.reset();
  }
}
