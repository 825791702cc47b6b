/**
 * A seeded, deterministic simulation of a host clock and the network between a listener and the host,
 * for ClockSync's tests. No timers: simulated time jumps from event to event.
 */
import { type Random, seededRandom } from '../../common/seededRandom.js';
import type { ClockSample, ClockSync } from '../ClockSync.js';

/** A random number in [0, 1). */
export type Rng = Random;

/** The seeded generator (mulberry32) the simulations run on: the same seed gives the same run. */
export const seededRng = seededRandom;

/** Draws a non-negative delay, ms. */
export type Jitter = (rng: Rng) => number;

export const jitter = {
  none: (): Jitter => () => 0,
  /** Exponential with this mean: light, memoryless queuing. */
  exp:
    (meanMs: number): Jitter =>
    (rng) =>
      -meanMs * Math.log(1 - rng()),
  /** Uniform in [0, maxMs). */
  uniform:
    (maxMs: number): Jitter =>
    (rng) =>
      rng() * maxMs,
  /** Pareto (Lomax) with this scale and tail index, capped: Wi-Fi-like, mostly small, sometimes huge. */
  heavy:
    (scaleMs: number, alpha: number, capMs: number): Jitter =>
    (rng) =>
      Math.min(capMs, scaleMs * ((1 - rng()) ** (-1 / alpha) - 1)),
  /** The sum of two jitters. */
  sum:
    (a: Jitter, b: Jitter): Jitter =>
    (rng) =>
      a(rng) + b(rng),
};

/** The true host clock: host = local + offset + drift * (local - origin), plus any steps so far. */
export class SimClock {
  constructor(
    readonly origin: number,
    readonly offset: number,
    readonly drift: number,
    readonly steps: readonly { atLocal: number; byMs: number }[] = [],
  ) {}

  host(local: number): number {
    let h = local + this.offset + this.drift * (local - this.origin);
    for (const s of this.steps) if (local >= s.atLocal) h += s.byMs;
    return h;
  }

  /** host - local at a local time. */
  trueOffset(local: number): number {
    return this.host(local) - local;
  }
}

export interface SimNetworkOptions {
  seed: number;
  /** Fixed one-way delay listener -> host, ms. */
  upBaseMs: number;
  downBaseMs: number;
  upJitter?: Jitter;
  downJitter?: Jitter;
  /** Probability that a probe or its answer is lost. */
  loss?: number;
  /** Probability that one direction of an exchange is held in a queue for spikeMs. */
  spikeRate?: number;
  spikeMs?: [number, number];
  /**
   * Probability that the host stamps an exchange with a clock off by +-corruptMs (both t1 and t2): an
   * answer that contradicts its own round trip, which no honest path can produce.
   */
  corruptRate?: number;
  corruptMs?: number;
  /** Time the host takes between t1 and t2, ms (uniform in the range). Default [0.02, 0.5]. */
  processingMs?: [number, number];
  /** Timestamps are floored to this resolution, ms. Default 0.005 (cross-origin isolated Chromium). */
  resolutionMs?: number;
}

/** One exchange as it happened: the sample, and the truth the sample cannot see. */
export interface SimExchange {
  sample: ClockSample;
  upMs: number;
  downMs: number;
}

/**
 * Two random streams: one for the path delays, one for events (loss, spikes, corruption, host
 * processing). The same seed with and without spikes therefore gives the same jitter on every
 * exchange, so a test can measure what the spikes alone changed.
 */
export class SimNetwork {
  readonly #rng: Rng;
  readonly #events: Rng;
  readonly #o: Required<SimNetworkOptions>;

  constructor(
    options: SimNetworkOptions,
    readonly clock: SimClock,
  ) {
    this.#o = {
      upJitter: jitter.none(),
      downJitter: jitter.none(),
      loss: 0,
      spikeRate: 0,
      spikeMs: [50, 300],
      corruptRate: 0,
      corruptMs: 20,
      processingMs: [0.02, 0.5],
      resolutionMs: 0.005,
      ...options,
    };
    this.#rng = seededRng(options.seed);
    this.#events = seededRng(options.seed ^ 0x5bd1e995);
  }

  #quantize(t: number): number {
    const r = this.#o.resolutionMs;
    return r > 0 ? Math.floor(t / r) * r : t;
  }

  #spike(): number {
    const o = this.#o;
    if (this.#events() >= o.spikeRate) return 0;
    return o.spikeMs[0] + this.#events() * (o.spikeMs[1] - o.spikeMs[0]);
  }

  /** One probe sent at local time t0; null if the probe or its answer was lost. */
  exchange(t0: number): SimExchange | null {
    const o = this.#o;
    const ev = this.#events;
    const upJitter = o.upJitter(this.#rng);
    const downJitter = o.downJitter(this.#rng);
    const lost = ev() < o.loss || ev() < o.loss;
    const spike = this.#spike();
    const spikeUp = ev() < 0.5;
    const corrupt = ev() < o.corruptRate ? (ev() < 0.5 ? -1 : 1) * o.corruptMs : 0;
    const processing = o.processingMs[0] + ev() * (o.processingMs[1] - o.processingMs[0]);
    if (lost) return null;
    const upMs = o.upBaseMs + upJitter + (spikeUp ? spike : 0);
    const downMs = o.downBaseMs + downJitter + (spikeUp ? 0 : spike);
    const arriveHost = t0 + upMs;
    const leaveHost = arriveHost + processing;
    const sample: ClockSample = {
      t0: this.#quantize(t0),
      t1: this.#quantize(this.clock.host(arriveHost) + corrupt),
      t2: this.#quantize(this.clock.host(leaveHost) + corrupt),
      t3: this.#quantize(leaveHost + downMs),
    };
    return { sample, upMs, downMs };
  }
}

export interface RunOptions {
  sync: ClockSync;
  net: SimNetwork;
  /** Local time the run starts at. */
  start: number;
  durationMs: number;
  /** Called at every probe time, before the probe is sent: the moment an app would ask toHost(now). */
  onTick?: (now: number) => void;
}

/**
 * Runs the probe loop the app would run: probe, wait sync.nextProbeDelayMs(), probe again; answers
 * reach add() at their own arrival time, so slow answers arrive out of order. Returns every exchange
 * that was answered, in arrival order.
 */
export function runProbes({ sync, net, start, durationMs, onTick }: RunOptions): SimExchange[] {
  const end = start + durationMs;
  const inFlight: SimExchange[] = [];
  const delivered: SimExchange[] = [];
  let nextProbe = start;
  for (;;) {
    let first = -1;
    inFlight.forEach((x, i) => {
      if (first < 0 || x.sample.t3 < (inFlight[first]?.sample.t3 ?? Infinity)) first = i;
    });
    const arrival = first >= 0 ? (inFlight[first]?.sample.t3 ?? Infinity) : Infinity;
    const now = Math.min(arrival, nextProbe);
    if (now > end) break;
    if (arrival <= nextProbe) {
      const [x] = inFlight.splice(first, 1);
      if (x) {
        sync.add(x.sample);
        delivered.push(x);
      }
      continue;
    }
    onTick?.(now);
    const x = net.exchange(now);
    if (x) inFlight.push(x);
    nextProbe = now + sync.nextProbeDelayMs();
  }
  return delivered;
}
