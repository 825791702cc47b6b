/**
 * A robust straight-line fit y = y(x) over a sliding window of points, for the two clock mappings
 * that the playout needs and that are straight lines plus noise:
 *
 * - the output clock: AudioContext time -> local performance time, from `getOutputTimestamp()`
 *   readings (the sound card runs ~200 ppm off the system clock here, and single readings are off
 *   by up to tens of ms while the output ramps up: see OutputClock);
 * - the media clock: sample index -> host-clock time, from the stamps on audio frames (see MediaClock).
 *
 * Least squares over the window, then again without the points whose residual is beyond
 * `outlierMs` (a reading taken during an OS stall, a late stamp). A *step* (every one of the last
 * `stepPoints` points off the line by more than `stepMs`, all on the same side: an output underrun,
 * a device change, a host restart) starts the window afresh from those points, so the fit follows
 * the new line at once instead of averaging the two.
 *
 * Pure, no allocation per point beyond the window's arrays; x and y are stored relative to the first
 * point so that epoch-sized numbers keep their precision.
 */
export interface LineFitOptions {
  /** Points older than this (in x units) leave the window. */
  windowX: number;
  /** Maximum points kept. */
  maxPoints: number;
  /** A point this far (in y units) from the line is left out of the fit. */
  outlierY: number;
  /** This many consecutive points off the line by more than stepY (same side) mean a step. */
  stepPoints: number;
  stepY: number;
  /**
   * After a reset or a step, the previous slope is kept until the new points span this much x
   * (a step does not change a clock's rate). Default windowX / 20, which also applies to the first line.
   */
  minSlopeSpan?: number;
}

export interface Line {
  /** y at x = x0. */
  y0: number;
  x0: number;
  /** dy/dx. */
  slope: number;
  /** RMS residual of the points used, y units. */
  rms: number;
  /** Points used. */
  n: number;
}

export class LineFit {
  readonly #xs: number[] = [];
  readonly #ys: number[] = [];
  #originX = 0;
  #originY = 0;
  #line: Line | null = null;
  /** The slope of the line before the last reset, kept while the new points span too little. */
  #heldSlope: number | null = null;
  #stepRun = 0;
  #stepSign = 0;
  #steps = 0;

  constructor(
    readonly options: LineFitOptions,
    /** Slope to assume while there are too few points (or too short a span) to fit one. */
    readonly defaultSlope: number,
  ) {}

  /** Number of steps detected since creation. */
  get steps(): number {
    return this.#steps;
  }

  get line(): Line | null {
    return this.#line;
  }

  /** y on the current line at x, or NaN before the first point. */
  at(x: number): number {
    const l = this.#line;
    if (!l) return Number.NaN;
    return l.y0 + l.slope * (x - l.x0);
  }

  /** x on the current line where it reaches y. */
  inverse(y: number): number {
    const l = this.#line;
    if (!l) return Number.NaN;
    return l.x0 + (y - l.y0) / l.slope;
  }

  /** Forgets the points; the slope is kept until the new points can fit one. */
  reset(): void {
    this.#heldSlope = this.#line?.slope ?? this.#heldSlope;
    this.#xs.length = 0;
    this.#ys.length = 0;
    this.#line = null;
    this.#stepRun = 0;
  }

  add(x: number, y: number): void {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    if (this.#xs.length === 0) {
      this.#originX = x;
      this.#originY = y;
    }
    // Step detection against the line as it stands.
    if (this.#line && this.#line.n >= this.options.stepPoints) {
      const r = y - this.at(x);
      const sign = Math.sign(r);
      if (Math.abs(r) > this.options.stepY && (this.#stepRun === 0 || sign === this.#stepSign)) {
        this.#stepRun++;
        this.#stepSign = sign;
      } else {
        this.#stepRun = 0;
      }
    }
    this.#xs.push(x - this.#originX);
    this.#ys.push(y - this.#originY);
    if (this.#stepRun >= this.options.stepPoints) {
      // Keep only the points after the step.
      const keep = this.options.stepPoints;
      this.#xs.splice(0, this.#xs.length - keep);
      this.#ys.splice(0, this.#ys.length - keep);
      this.#stepRun = 0;
      this.#steps++;
      this.#heldSlope = this.#line?.slope ?? this.#heldSlope;
    }
    const newest = this.#xs[this.#xs.length - 1] as number;
    let drop = 0;
    while (
      drop < this.#xs.length - 1 &&
      (newest - (this.#xs[drop] as number) > this.options.windowX ||
        this.#xs.length - drop > this.options.maxPoints)
    ) {
      drop++;
    }
    if (drop > 0) {
      this.#xs.splice(0, drop);
      this.#ys.splice(0, drop);
    }
    this.#refit();
  }

  #minSpan(): number {
    const first = this.options.windowX / 20;
    return this.#heldSlope === null ? first : (this.options.minSlopeSpan ?? first);
  }

  #refit(): void {
    const first = this.#solve(Number.POSITIVE_INFINITY, null);
    if (!first) return;
    // Outliers are judged against the fresh fit and against the line as it stood (a run of far-off
    // points, a step in the making, drags a fresh fit towards itself and would hide); whichever
    // keeps more points is the line.
    const fresh = this.#solve(this.options.outlierY, first);
    const kept = this.#line ? this.#solve(this.options.outlierY, this.#line) : null;
    this.#line = (kept && (!fresh || kept.n >= fresh.n) ? kept : fresh) ?? first;
  }

  /** Least squares over the points within `limit` of `around` (all points when around is null). */
  #solve(limit: number, around: Line | null): Line | null {
    const xs = this.#xs;
    const ys = this.#ys;
    const n = xs.length;
    if (n === 0) return null;
    const resid = (i: number) =>
      around
        ? (ys[i] as number) -
          (around.y0 - this.#originY + around.slope * ((xs[i] as number) - (around.x0 - this.#originX)))
        : 0;
    let count = 0;
    let sx = 0;
    let sy = 0;
    for (let i = 0; i < n; i++) {
      if (Math.abs(resid(i)) > limit) continue;
      count++;
      sx += xs[i] as number;
      sy += ys[i] as number;
    }
    if (count === 0) return null;
    const mx = sx / count;
    const my = sy / count;
    let sxx = 0;
    let sxy = 0;
    for (let i = 0; i < n; i++) {
      if (Math.abs(resid(i)) > limit) continue;
      const dx = (xs[i] as number) - mx;
      sxx += dx * dx;
      sxy += dx * ((ys[i] as number) - my);
    }
    // Too short a span to tell a slope from noise: assume the default (or the previous) one.
    const span = (xs[n - 1] as number) - (xs[0] as number);
    const slope =
      count >= 3 && span >= this.#minSpan() && sxx > 0
        ? sxy / sxx
        : (this.#line?.slope ?? this.#heldSlope ?? this.defaultSlope);
    let ss = 0;
    for (let i = 0; i < n; i++) {
      if (Math.abs(resid(i)) > limit) continue;
      const r = (ys[i] as number) - (my + slope * ((xs[i] as number) - mx));
      ss += r * r;
    }
    return { x0: mx + this.#originX, y0: my + this.#originY, slope, rms: Math.sqrt(ss / count), n: count };
  }
}
