/**
 * A small iterative radix-2 FFT, in place, over separate real and imaginary arrays: enough for the
 * correlations of acoustic calibration (see Calibration), where correlating a 1-2 s recording with a
 * 120 ms signal directly would take billions of multiplications and a transform takes milliseconds.
 *
 * `forward` computes X[k] = sum_n x[n] e^(-2 pi i k n / N); `inverse` is its exact inverse (it divides
 * by N). Pure: no DOM, no Node APIs. The tables (bit reversal, half a turn of twiddle factors) are
 * built once per instance: keep one per size.
 */
export class FFT {
  /** Number of points, a power of two. */
  readonly size: number;
  /** cos(2 pi j / size) and sin(2 pi j / size) for j < size / 2. */
  readonly #cos: Float64Array;
  readonly #sin: Float64Array;
  /** Bit-reversed index of each index. */
  readonly #rev: Uint32Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1 || (size & (size - 1)) !== 0 || size > 2 ** 30) {
      throw new RangeError(`FFT size must be a power of two, got ${size}`);
    }
    this.size = size;
    const half = size >>> 1;
    this.#cos = new Float64Array(half);
    this.#sin = new Float64Array(half);
    for (let j = 0; j < half; j++) {
      const a = (2 * Math.PI * j) / size;
      this.#cos[j] = Math.cos(a);
      this.#sin[j] = Math.sin(a);
    }
    this.#rev = new Uint32Array(size);
    const bits = Math.round(Math.log2(size));
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0, v = i; b < bits; b++, v >>>= 1) r = (r << 1) | (v & 1);
      this.#rev[i] = r >>> 0;
    }
  }

  /** In-place forward transform of `re + i im` (both `size` long). */
  forward(re: Float64Array, im: Float64Array): void {
    this.#transform(re, im, -1);
  }

  /** In-place inverse transform, scaled by 1/size so that `inverse(forward(x)) = x`. */
  inverse(re: Float64Array, im: Float64Array): void {
    this.#transform(re, im, 1);
    const scale = 1 / this.size;
    for (let i = 0; i < this.size; i++) {
      re[i] = (re[i] as number) * scale;
      im[i] = (im[i] as number) * scale;
    }
  }

  #transform(re: Float64Array, im: Float64Array, sign: 1 | -1): void {
    const n = this.size;
    if (re.length !== n || im.length !== n) {
      throw new RangeError(`FFT of size ${n} given arrays of ${re.length} and ${im.length}`);
    }
    const rev = this.#rev;
    for (let i = 0; i < n; i++) {
      const j = rev[i] as number;
      if (j > i) {
        const tr = re[i] as number;
        re[i] = re[j] as number;
        re[j] = tr;
        const ti = im[i] as number;
        im[i] = im[j] as number;
        im[j] = ti;
      }
    }
    const cos = this.#cos;
    const sin = this.#sin;
    for (let len = 2; len <= n; len <<= 1) {
      const half = len >>> 1;
      const step = n / len;
      for (let start = 0; start < n; start += len) {
        for (let j = 0; j < half; j++) {
          const wr = cos[j * step] as number;
          const wi = sign * (sin[j * step] as number);
          const a = start + j;
          const b = a + half;
          const br = re[b] as number;
          const bi = im[b] as number;
          const tr = wr * br - wi * bi;
          const ti = wr * bi + wi * br;
          const ar = re[a] as number;
          const ai = im[a] as number;
          re[b] = ar - tr;
          im[b] = ai - ti;
          re[a] = ar + tr;
          im[a] = ai + ti;
        }
      }
    }
  }
}

/** The smallest power of two >= n (1 for n <= 1). */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
