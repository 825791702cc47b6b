/** A sliding window of the last `size` values and their quantiles (a few queries a second). */
export class Percentile {
  readonly #values: Float64Array;
  #count = 0;
  #next = 0;

  constructor(readonly size: number) {
    this.#values = new Float64Array(size);
  }

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.#values[this.#next] = value;
    this.#next = (this.#next + 1) % this.size;
    this.#count = Math.min(this.size, this.#count + 1);
  }

  get count(): number {
    return this.#count;
  }

  /** The q-quantile (0..1) of the window, NaN when empty. */
  quantile(q: number): number {
    return this.quantiles(q)[0] as number;
  }

  /** Several quantiles of the window from one sort, NaN when empty. */
  quantiles(...qs: number[]): number[] {
    if (this.#count === 0) return qs.map(() => Number.NaN);
    const sorted = this.#values.slice(0, this.#count).sort();
    const last = this.#count - 1;
    return qs.map((q) => sorted[Math.min(last, Math.max(0, Math.round(q * last)))] as number);
  }

  reset(): void {
    this.#count = 0;
    this.#next = 0;
  }
}
