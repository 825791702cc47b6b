/**
 * The host's clock as seen from a listener: offset, drift, and an honest bound on how wrong they are.
 *
 * Pure: no timers, no DOM, no Node APIs. The caller sends probes on the `clock` data channel, feeds
 * every answer to `add()`, waits `nextProbeDelayMs()` before the next probe, and maps times with
 * `toHost()` / `toLocal()`. Runs the same in a page, a worker or an AudioWorklet. See docs/sync.md
 * ("The clocks", "Clock sync exchange").
 */

/** One NTP-style exchange, in ms: `t0`, `t3` on the local clock; `t1`, `t2` on the host clock. */
export interface ClockSample {
  /** Local clock when the probe was sent. */
  t0: number;
  /** Host clock when the probe arrived. */
  t1: number;
  /** Host clock when the answer was sent. */
  t2: number;
  /** Local clock when the answer arrived. */
  t3: number;
}

/** What ClockSync believes: host = local + offset + drift * (local - at). */
export interface ClockEstimate {
  /** host - local at local time `at`, ms. */
  offset: number;
  /** d(host - local) / d(local), dimensionless (1e-4 = 100 ppm). */
  drift: number;
  /** Local time the estimate refers to: the arrival of the newest sample in the fit's window. */
  at: number;
  /** Lowest round trip in the window, ms. */
  rtt: number;
  /**
   * A bound (ms) on |true offset - offset| at `at`. It cannot be smaller than rtt / 2: a path that is
   * slower one way than the other shifts every sample alike and no number of samples can see it
   * (NTP's classic limit). Use `uncertaintyAt()` for other times: it grows with the drift bound.
   */
  uncertainty: number;
  /** A bound on |true drift - drift|, dimensionless. */
  driftUncertainty: number;
  /** Samples the fit used (those with a round trip near the window's minimum). */
  samples: number;
  /** Samples in the window. */
  windowSamples: number;
}

export interface ClockSyncOptions {
  /** Samples older than this (local ms before the newest) leave the window. Default 60 000. */
  windowMs?: number;
  /** At most this many samples in the window (the oldest leave first). Default 256. */
  maxSamples?: number;
  /**
   * Resolution of the clocks, ms. Chromium coarsens `performance.now()` to 0.1 ms unless the page is
   * cross-origin isolated (then 5 us). Round trips down to -resolution are clamped to 0, and the
   * bound widens by this much. Default 0.1.
   */
  resolutionMs?: number;
  /** Samples with rtt <= min + max(selectMarginMs, selectMarginFraction * min) are fitted. 0.25 ms. */
  selectMarginMs?: number;
  /** See selectMarginMs. Default 0.1. */
  selectMarginFraction?: number;
  /** The fit also uses this fraction of the window, lowest round trips first. Default 0.25. */
  selectFraction?: number;
  /** The fit uses at least this many samples (the lowest round trips) when the window has them. 5. */
  minFitSamples?: number;
  /** Smallest error scale of a sample in the fit's weights, ms. Default 0.05. */
  noiseFloorMs?: number;
  /**
   * Largest plausible |drift|: two quartz clocks of +-100 ppm each. Only bounds the prior's bias in
   * `uncertainty`; a larger drift is still measured. Default 2e-4.
   */
  maxDrift?: number;
  /**
   * Standard deviation of the Gaussian prior on the drift (mean 0): typical crystals are within
   * +-50 ppm. Keeps the first seconds' slope from chasing noise. Default 5e-5.
   */
  driftPriorSd?: number;
  /** A sample must disagree by at least this much (ms) to count as evidence of a step. Default 1. */
  stepMinMs?: number;
  /** Disagreeing samples that agree with each other needed to accept a step. Default 3. */
  stepConfirmSamples?: number;
  /** Disagreeing samples older than this (ms) are forgotten. Default 10 000. */
  stepWindowMs?: number;
  /** `ready` needs at least this many samples in the window. Default 8. */
  readyMinSamples?: number;
  /**
   * `ready` needs `uncertainty` at most this (ms). The bound is worst-case (all of the round trip on
   * one side) and is shown to the user beside the sync state; it does not stop a device from
   * playing: across the internet (round trips of 50-300 ms) the estimate is still the best there is,
   * and paths are rarely that lopsided. Only a bound beyond any plausible path (a clock read through
   * a stall of seconds) keeps the estimate from being used. Default 1000.
   */
  readyMaxUncertaintyMs?: number;
  /**
   * Probe interval (ms) until ready: the playout of a newcomer waits for it (8 samples), and the
   * host answers up to 20 probes a second. Default 50.
   */
  startProbeMs?: number;
  /** Probe interval (ms) until fastUntilSamples are in, or while a step is suspected. 100. */
  fastProbeMs?: number;
  /** Keep probing fast until the window holds this many samples (the first drift fit needs them). 30. */
  fastUntilSamples?: number;
  /** Probe interval once ready: 120 samples in a 60 s window, a few bytes a second. Default 500. */
  slowProbeMs?: number;
}

/** Counters, for logs and tests. */
export interface ClockSyncStats {
  /** Samples taken into the window. */
  accepted: number;
  /** Impossible samples (non-finite, t3 < t0, t2 < t1, negative round trip) and stale ones. */
  rejected: number;
  /** Samples that contradicted the estimate beyond their round-trip bound (step evidence). */
  disagreed: number;
  /** Steps accepted: the window was restarted on a new regime. */
  steps: number;
}

/** Thrown by `toHost` / `toLocal` before the first good sample. */
export class ClockNotSyncedError extends Error {
  override readonly name = 'ClockNotSyncedError';
  readonly code = 'clock-not-synced';
  constructor() {
    super('ClockSync has no estimate yet: add a sample first, or check estimate() / ready');
  }
}

const DEFAULTS: Required<ClockSyncOptions> = {
  windowMs: 60_000,
  maxSamples: 256,
  resolutionMs: 0.1,
  selectMarginMs: 0.25,
  selectMarginFraction: 0.1,
  selectFraction: 0.25,
  minFitSamples: 5,
  noiseFloorMs: 0.05,
  maxDrift: 2e-4,
  driftPriorSd: 5e-5,
  stepMinMs: 1,
  stepConfirmSamples: 3,
  stepWindowMs: 10_000,
  readyMinSamples: 8,
  readyMaxUncertaintyMs: 1000,
  startProbeMs: 50,
  fastProbeMs: 100,
  fastUntilSamples: 30,
  slowProbeMs: 500,
};

/** A sample reduced to what the estimator needs. */
interface Point {
  /** Local time the sample's offset refers to: the midpoint of the exchange, (t0 + t3) / 2. */
  x: number;
  /** Measured host - local. */
  y: number;
  rtt: number;
  t3: number;
}

/**
 * Weighted least squares of y = offset + drift * (x - at) over the selected points, with a Gaussian
 * prior on the drift (mean 0, sd driftPriorSd).
 *
 * Which points: the lowest-rtt quarter of the window, plus any within a small margin of its minimum.
 * A margin alone is not enough: when one direction's jitter is rarely small, a single lucky sample
 * sets a minimum that later samples never come near, the selection freezes on old samples and the
 * estimate is only extrapolated (seen in simulation: 0.4 ms off after 20 s). The quarter keeps recent
 * samples in the fit; the weights still favour the best ones.
 * Why a line: two quartz clocks differ by up to ~100 ppm, 6 ms a minute, so over a 60 s window a
 * constant (Snapcast's median) is wrong at both ends; a line through the window (chrony fits one too)
 * is right everywhere.
 * Why a prior instead of "fit the slope only once the window spans N seconds": with a short span the
 * data say little about the slope and the prior keeps it near 0; as the span grows the data take
 * over smoothly, and the prior's pull is known, so its worst-case bias goes into the bound.
 * Why these weights: if the queuing delay q = rtt - rttMin of a sample is split between the two ways
 * uniformly at random, its offset is off by a uniform error of width q, variance q^2 / 12; the noise
 * floor stands for the unknown queuing of the best sample itself and for timestamp resolution.
 */
function fitLine(points: readonly Point[], at: number, o: Required<ClockSyncOptions>): ClockEstimate {
  const sorted = [...points].sort((a, b) => a.rtt - b.rtt);
  const best = sorted[0];
  if (!best) throw new Error('fitLine needs at least one point');
  const rttMin = best.rtt;
  const limit = rttMin + Math.max(o.selectMarginMs, o.selectMarginFraction * rttMin);
  const atLeast = Math.max(o.minFitSamples, Math.ceil(o.selectFraction * sorted.length));
  let count = 0;
  while (count < sorted.length && (count < atLeast || (sorted[count]?.rtt ?? Infinity) <= limit)) {
    count++;
  }
  const used = sorted.slice(0, count);

  const floor = Math.max(o.noiseFloorMs, 0.05 * rttMin);
  const w = used.map((p) => 1 / (floor * floor + (p.rtt - rttMin) ** 2 / 12));
  let W = 0;
  let sx = 0;
  let sy = 0;
  used.forEach((p, i) => {
    const wi = w[i] ?? 0;
    W += wi;
    sx += wi * p.x;
    sy += wi * p.y;
  });
  const xBar = sx / W;
  const yBar = sy / W;
  let sxx = 0;
  let sxy = 0;
  used.forEach((p, i) => {
    const wi = w[i] ?? 0;
    sxx += wi * (p.x - xBar) ** 2;
    sxy += wi * (p.x - xBar) * (p.y - yBar);
  });
  const priorSd = o.driftPriorSd;
  const lambda = 1 / (priorSd * priorSd);

  // Pass 1 trusts the weights; pass 2 rescales them by the residuals (reduced chi-square), so heavier
  // noise than the model expects makes the data count less against the prior, and widens the bound.
  let scale = 1;
  const slope1 = sxy / (sxx + lambda);
  let chi2 = 0;
  used.forEach((p, i) => {
    chi2 += (w[i] ?? 0) * (p.y - yBar - slope1 * (p.x - xBar)) ** 2;
  });
  const dof = used.length - 1 - sxx / (sxx + lambda);
  if (dof > 0.5) scale = Math.max(1, chi2 / dof);

  const denom = sxx + lambda * scale;
  const drift = sxy / denom;
  const dx = at - xBar;
  const offset = yBar + drift * dx;

  // The estimate is a linear combination sum(a_i * y_i) with sum(a_i) = 1. Each sample's error is the
  // path asymmetry (common to all, |.| <= rttMin / 2) plus its own queuing split (|.| <= q_i / 2), so
  // |error| <= rttMin / 2 + sum(|a_i| * q_i / 2). (Both one-way delays are >= 0 and add up to the
  // rtt, so (up - down) / 2 lies within +-rtt / 2.) Assumes the base paths hold still over the window.
  let queuing = 0;
  used.forEach((p, i) => {
    const a = (w[i] ?? 0) / W + (dx * (w[i] ?? 0) * (p.x - xBar)) / denom;
    queuing += (Math.abs(a) * (p.rtt - rttMin)) / 2;
  });
  const shrink = (lambda * scale) / denom;
  const driftSd = Math.sqrt(scale / denom);
  // The prior pulls the slope toward 0 by at most shrink * maxDrift; over dx that biases the offset.
  const priorBias = shrink * o.maxDrift * Math.abs(dx);
  const statistical = Math.sqrt(scale / W + dx * dx * driftSd * driftSd);
  const uncertainty = rttMin / 2 + queuing + priorBias + 2 * statistical + o.resolutionMs;
  const driftUncertainty = Math.min(o.maxDrift + Math.abs(drift), 3 * driftSd + shrink * o.maxDrift);

  return {
    offset,
    drift,
    at,
    rtt: rttMin,
    uncertainty,
    driftUncertainty,
    samples: used.length,
    windowSamples: points.length,
  };
}

/**
 * Estimates the host clock from NTP-style exchanges.
 *
 * Per exchange (RFC 5905 sec. 8), rtt = (t3 - t0) - (t2 - t1) and offset = ((t1 - t0) + (t2 - t3)) / 2.
 * The offset is exact when both ways take equal time and wrong by (up - down) / 2 otherwise: by at most
 * rtt / 2, since neither way can take less than nothing. Queuing only ever adds delay, usually on one
 * side, so the samples with the lowest round trip are the trustworthy ones: NTP's clock filter keeps
 * the minimum-delay sample of its last eight (RFC 5905 sec. 10), Beatsync averages the lowest-rtt
 * half. Snapcast takes the median offset of ~200 samples, which a path whose queuing is one-sided
 * (Wi-Fi uplink, a busy host) biases by half the typical queuing.
 *
 * Here: a sliding window (by time and count); the samples whose rtt is near the window's minimum; a
 * weighted line through them (offset and drift, see `fitLine`); and an uncertainty that is a bound,
 * not a standard deviation. Samples that contradict the estimate beyond what their own rtt
 * allows are impossible unless the host clock stepped (host reconnect, a new host); they are held
 * apart, and once several of them agree with each other (their rtt intervals intersect, as in
 * Marzullo's algorithm) the window restarts on them instead of averaging across the step.
 */
export class ClockSync {
  readonly #o: Required<ClockSyncOptions>;
  #window: Point[] = [];
  #pending: Point[] = [];
  #latest = Number.NEGATIVE_INFINITY;
  #estimate: ClockEstimate | null = null;
  #stats: ClockSyncStats = { accepted: 0, rejected: 0, disagreed: 0, steps: 0 };

  constructor(options: ClockSyncOptions = {}) {
    const o: Required<ClockSyncOptions> = { ...DEFAULTS };
    for (const [key, value] of Object.entries(options) as [keyof ClockSyncOptions, unknown][]) {
      if (value === undefined) continue;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new TypeError(`ClockSync option ${key} must be a finite number >= 0, got ${String(value)}`);
      }
      o[key] = value;
    }
    if (o.windowMs <= 0 || o.maxSamples < 1 || o.maxDrift <= 0 || o.stepConfirmSamples < 1) {
      throw new TypeError('ClockSync: windowMs, maxSamples, maxDrift and stepConfirmSamples must be > 0');
    }
    this.#o = o;
  }

  /**
   * Adds one exchange. Returns false, and ignores it, if it is impossible (non-finite, t3 < t0,
   * t2 < t1, a round trip below -resolutionMs) or older than the window. A sample that contradicts
   * the estimate is kept as evidence of a step (returns true) but does not enter the fit.
   */
  add(sample: ClockSample): boolean {
    const { t0, t1, t2, t3 } = sample;
    const rawRtt = t3 - t0 - (t2 - t1);
    if (
      ![t0, t1, t2, t3].every(Number.isFinite) ||
      t3 < t0 ||
      t2 < t1 ||
      rawRtt < -this.#o.resolutionMs ||
      t3 < this.#latest - this.#o.windowMs
    ) {
      this.#stats.rejected++;
      return false;
    }
    const p: Point = { x: (t0 + t3) / 2, y: (t1 - t0 + (t2 - t3)) / 2, rtt: Math.max(0, rawRtt), t3 };
    this.#latest = Math.max(this.#latest, t3);

    const est = this.#estimate;
    if (est) {
      const deviation = Math.abs(p.y - this.#predictOffset(p.x));
      const allowed = p.rtt / 2 + this.#o.resolutionMs + this.uncertaintyAt(p.x);
      if (deviation > Math.max(allowed, this.#o.stepMinMs)) {
        this.#stats.disagreed++;
        this.#pending.push(p);
        this.#pending = this.#pending.filter((q) => q.t3 >= this.#latest - this.#o.stepWindowMs);
        this.#confirmStep();
        return true;
      }
      // An agreeing sample that rules out a pending one is evidence against that step.
      if (this.#pending.length > 0) this.#pending = this.#pending.filter((q) => this.#overlaps(p, q));
    }

    this.#window.push(p);
    this.#stats.accepted++;
    this.#refit();
    return true;
  }

  /** The current estimate, or null before the first good sample. */
  estimate(): ClockEstimate | null {
    return this.#estimate ? { ...this.#estimate } : null;
  }

  /** Bound on |true offset - estimated offset| at local time `local`: the estimate's, plus drift. */
  uncertaintyAt(local: number): number {
    const e = this.#estimate;
    if (!e) return Number.POSITIVE_INFINITY;
    return e.uncertainty + e.driftUncertainty * Math.abs(local - e.at);
  }

  /** Host time for a local time. Throws ClockNotSyncedError before the first good sample. */
  toHost(local: number): number {
    const e = this.#requireEstimate();
    return local + e.offset + e.drift * (local - e.at);
  }

  /** Local time for a host time: the exact inverse of toHost. Throws ClockNotSyncedError if not synced. */
  toLocal(host: number): number {
    const e = this.#requireEstimate();
    // host = local + offset + drift * (local - at)  =>  local - at = (host - offset - at) / (1 + drift);
    // written around `at` so epoch-sized times lose no precision.
    return e.at + (host - e.offset - e.at) / (1 + e.drift);
  }

  /**
   * True once there are readyMinSamples samples and the uncertainty is at most readyMaxUncertaintyMs.
   * After a step it is false until readyMinSamples samples of the new regime are in (~0.5 s).
   */
  get ready(): boolean {
    const e = this.#estimate;
    return (
      e !== null &&
      e.windowSamples >= this.#o.readyMinSamples &&
      e.uncertainty <= this.#o.readyMaxUncertaintyMs
    );
  }

  /** True while samples contradict the estimate and a step is not yet confirmed. */
  get stepSuspected(): boolean {
    return this.#pending.length > 0;
  }

  get stats(): ClockSyncStats {
    return { ...this.#stats };
  }

  /**
   * How long to wait before the next probe. Fastest (50 ms) until ready: a newcomer's playout waits
   * for it. Fast (100 ms) until fastUntilSamples are in the window: the first drift fit needs many samples over a short span (in simulation, the worst
   * LAN error after 2 s fell from 0.13 to 0.08 ms with 30 fast probes instead of 8); fast again while
   * a step is suspected, to confirm or dismiss it within a few hundred ms. Otherwise slow (500 ms).
   * Ask after every probe sent; asking again after each `add()` reacts sooner to a suspected step.
   */
  nextProbeDelayMs(): number {
    if (!this.ready) return this.#o.startProbeMs;
    const filling = (this.#estimate?.windowSamples ?? 0) < this.#o.fastUntilSamples;
    return filling || this.stepSuspected ? this.#o.fastProbeMs : this.#o.slowProbeMs;
  }

  /** Forgets everything, e.g. when the host reconnects or another member becomes host. */
  reset(): void {
    this.#window = [];
    this.#pending = [];
    this.#latest = Number.NEGATIVE_INFINITY;
    this.#estimate = null;
  }

  #requireEstimate(): ClockEstimate {
    if (!this.#estimate) throw new ClockNotSyncedError();
    return this.#estimate;
  }

  #predictOffset(local: number): number {
    const e = this.#requireEstimate();
    return e.offset + e.drift * (local - e.at);
  }

  /** Whether two samples' possible true offsets overlap, carried to a common time by the drift. */
  #overlaps(a: Point, b: Point): boolean {
    const [aLo, aHi] = this.#interval(a, b.x);
    const [bLo, bHi] = this.#interval(b, b.x);
    return aLo <= bHi && bLo <= aHi;
  }

  /** Where the true offset at local time `ref` can be, given one sample: its value +- rtt / 2. */
  #interval(p: Point, ref: number): [number, number] {
    const e = this.#estimate;
    const drift = e?.drift ?? 0;
    const slack = (e?.driftUncertainty ?? this.#o.maxDrift) * Math.abs(ref - p.x);
    const half = p.rtt / 2 + this.#o.resolutionMs + slack;
    const center = p.y + drift * (ref - p.x);
    return [center - half, center + half];
  }

  /**
   * Accepts a step once stepConfirmSamples pending samples agree with each other: finds the point
   * covered by the most intervals (Marzullo's sweep) and restarts the window on the samples that
   * cover it.
   */
  #confirmStep(): void {
    const ref = this.#latest;
    const ends: [number, number][] = [];
    for (const p of this.#pending) {
      const [lo, hi] = this.#interval(p, ref);
      ends.push([lo, 1], [hi, -1]);
    }
    ends.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    let depth = 0;
    let bestDepth = 0;
    let bestAt = 0;
    for (const [value, delta] of ends) {
      depth += delta;
      if (depth > bestDepth) {
        bestDepth = depth;
        bestAt = value;
      }
    }
    if (bestDepth < this.#o.stepConfirmSamples) return;
    const regime = this.#pending.filter((p) => {
      const [lo, hi] = this.#interval(p, ref);
      return lo <= bestAt && bestAt <= hi;
    });
    this.#stats.steps++;
    this.#stats.accepted += regime.length;
    this.#window = regime;
    this.#pending = [];
    this.#estimate = null;
    this.#refit();
  }

  #refit(): void {
    const o = this.#o;
    this.#window.sort((a, b) => a.t3 - b.t3);
    const newest = this.#window[this.#window.length - 1]?.t3 ?? Number.NEGATIVE_INFINITY;
    this.#window = this.#window.filter((p) => p.t3 >= newest - o.windowMs);
    if (this.#window.length > o.maxSamples) this.#window.splice(0, this.#window.length - o.maxSamples);
    this.#estimate = this.#window.length > 0 ? fitLine(this.#window, newest, o) : null;
  }
}
