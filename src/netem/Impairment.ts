import type { Random } from '../common/seededRandom.js';
/**
 * One direction of an impaired network path, like Linux netem + tbf (which this kernel lacks):
 * a bandwidth cap with a bounded queue, random or bursty loss, delay with jitter, and reordering.
 *
 * Pure: time and randomness are arguments, so tests replay a path exactly. The UDP relay
 * (UdpRelay.ts) asks `admit()` when each datagram arrives and sends it at the time returned.
 */

export interface ImpairmentConfig {
  /** One-way delay added to every packet, ms. Default 0. */
  delayMs?: number;
  /**
   * The delay varies within +-jitterMs around delayMs (never below 0). Default 0. As in a real
   * queue, the variation is shared by the packets that pass together: it moves to a new random level
   * every `jitterStepMs`, smoothly, so a busy direction and a quiet one see the same spread (a
   * per-packet draw held in order would give a busy direction the maximum of several draws).
   */
  jitterMs?: number;
  /** How often the queue-like jitter picks a new level (ms). Default 20. */
  jitterStepMs?: number;
  /** Probability a packet is lost, 0..1. Default 0. */
  loss?: number;
  /**
   * Mean length of a loss burst, packets (>= 1). 1 (default) is independent loss; above it, losses
   * come in bursts (a two-state Gilbert model with the same overall `loss`), as on Wi-Fi.
   */
  burst?: number;
  /**
   * Probability a packet takes its own random delay within the jitter (as Linux netem does for every
   * packet) and may overtake earlier ones. 0 (default) keeps the order: jitter as a queue.
   */
  reorder?: number;
  /** Bandwidth cap, kbit/s; 0 or absent is unlimited. */
  rateKbps?: number;
  /** Packets that would wait longer than this behind the cap are dropped (tail drop), ms. Default 200. */
  queueMs?: number;
}

export interface ImpairmentCounters {
  packets: number;
  bytes: number;
  /** Lost at random (the `loss` setting). */
  lost: number;
  /** Dropped because the capped queue was full. */
  queueDrops: number;
  /** Delivered ahead of a packet that arrived earlier. */
  reordered: number;
}

function check(name: string, v: number | undefined, fallback: number, min: number, max: number): number {
  const x = v ?? fallback;
  if (typeof x !== 'number' || !Number.isFinite(x) || x < min || x > max) {
    throw new RangeError(`impairment: ${name} must be a number in [${min}, ${max}], got ${String(v)}`);
  }
  return x;
}

export class Impairment {
  readonly delayMs: number;
  readonly jitterMs: number;
  readonly jitterStepMs: number;
  readonly loss: number;
  readonly burst: number;
  readonly reorder: number;
  readonly rateKbps: number;
  readonly queueMs: number;
  readonly counters: ImpairmentCounters = { packets: 0, bytes: 0, lost: 0, queueDrops: 0, reordered: 0 };
  /** When the capped link finishes sending what it holds, ms. */
  #linkFreeAt = Number.NEGATIVE_INFINITY;
  /** The latest delivery time handed out, ms: a packet kept in order leaves no earlier. */
  #lastDelivery = Number.NEGATIVE_INFINITY;
  /** Gilbert model: in a loss burst now. */
  #bad = false;
  /** The queue-like jitter: level `#v0` at `#t0`, moving to `#v1` at `#t0 + jitterStepMs`. */
  #t0 = Number.NEGATIVE_INFINITY;
  #v0 = 0;
  #v1 = 0;

  constructor(
    config: ImpairmentConfig = {},
    readonly random: Random = Math.random,
  ) {
    this.delayMs = check('delayMs', config.delayMs, 0, 0, 60_000);
    this.jitterMs = check('jitterMs', config.jitterMs, 0, 0, 60_000);
    this.jitterStepMs = check('jitterStepMs', config.jitterStepMs, 20, 0.1, 60_000);
    this.loss = check('loss', config.loss, 0, 0, 1);
    this.burst = check('burst', config.burst, 1, 1, 1000);
    this.reorder = check('reorder', config.reorder, 0, 0, 1);
    this.rateKbps = check('rateKbps', config.rateKbps, 0, 0, 10_000_000);
    this.queueMs = check('queueMs', config.queueMs, 200, 0, 60_000);
  }

  /**
   * A packet of `bytes` arrives at `nowMs`: returns when it leaves the far end (ms), or null if it
   * is lost or dropped.
   */
  admit(nowMs: number, bytes: number): number | null {
    this.counters.packets++;
    this.counters.bytes += bytes;
    let sent = nowMs;
    if (this.rateKbps > 0) {
      const start = Math.max(nowMs, this.#linkFreeAt);
      if (start - nowMs > this.queueMs) {
        this.counters.queueDrops++;
        return null;
      }
      sent = start + (bytes * 8) / this.rateKbps; // kbit/s = bit/ms
      this.#linkFreeAt = sent;
    }
    if (this.#lose()) {
      this.counters.lost++;
      return null;
    }
    if (this.reorder > 0 && this.random() < this.reorder) {
      const own = sent + Math.max(0, this.delayMs + this.#draw());
      if (own < this.#lastDelivery) this.counters.reordered++;
      else this.#lastDelivery = own;
      return own;
    }
    const queued = sent + Math.max(0, this.delayMs + this.#queueJitter(nowMs));
    const at = Math.max(queued, this.#lastDelivery);
    this.#lastDelivery = at;
    return at;
  }

  #draw(): number {
    return this.jitterMs > 0 ? (this.random() * 2 - 1) * this.jitterMs : 0;
  }

  /** The queue's extra delay at `now`: a level moving smoothly to a new random one every step. */
  #queueJitter(now: number): number {
    if (this.jitterMs <= 0) return 0;
    const step = this.jitterStepMs;
    if (now - this.#t0 >= 2 * step) {
      // First packet, or after a quiet spell: start from a fresh level.
      this.#t0 = now;
      this.#v0 = this.#draw();
      this.#v1 = this.#draw();
    }
    while (now - this.#t0 >= step) {
      this.#t0 += step;
      this.#v0 = this.#v1;
      this.#v1 = this.#draw();
    }
    return this.#v0 + ((this.#v1 - this.#v0) * (now - this.#t0)) / step;
  }

  /**
   * Loss, independent or in bursts. The Gilbert model's two transition probabilities are chosen so
   * that bursts average `burst` packets and the stationary loss rate is `loss`:
   * bad -> good with r = 1 / burst, good -> bad with p = loss * r / (1 - loss).
   */
  #lose(): boolean {
    if (this.loss <= 0) return false;
    if (this.burst <= 1 || this.loss >= 1) return this.random() < this.loss;
    const r = 1 / this.burst;
    const p = Math.min(1, (this.loss * r) / (1 - this.loss));
    this.#bad = this.#bad ? this.random() >= r : this.random() < p;
    return this.#bad;
  }
}
