import { describe, expect, it } from 'vitest';
import { seededRandom } from '../common/seededRandom.js';
import { FFT, nextPowerOfTwo } from './fft.js';

/** The textbook O(n^2) transform, to compare with. */
function dft(re: Float64Array, im: Float64Array): [Float64Array, Float64Array] {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    for (let t = 0; t < n; t++) {
      const a = (-2 * Math.PI * k * t) / n;
      const xr = re[t] as number;
      const xi = im[t] as number;
      outRe[k] = (outRe[k] as number) + xr * Math.cos(a) - xi * Math.sin(a);
      outIm[k] = (outIm[k] as number) + xr * Math.sin(a) + xi * Math.cos(a);
    }
  }
  return [outRe, outIm];
}

function randomComplex(n: number, seed: number): [Float64Array, Float64Array] {
  const random = seededRandom(seed);
  const re = Float64Array.from({ length: n }, () => random() * 2 - 1);
  const im = Float64Array.from({ length: n }, () => random() * 2 - 1);
  return [re, im];
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe('FFT', () => {
  it('matches the direct DFT', () => {
    for (const n of [1, 2, 4, 8, 64, 256]) {
      const [re, im] = randomComplex(n, n);
      const [expRe, expIm] = dft(re, im);
      new FFT(n).forward(re, im);
      expect(maxDiff(re, expRe)).toBeLessThan(1e-9);
      expect(maxDiff(im, expIm)).toBeLessThan(1e-9);
    }
  });

  it('inverts exactly (to rounding) at calibration sizes', () => {
    const n = 1 << 17;
    const [re, im] = randomComplex(n, 7);
    const re0 = re.slice();
    const im0 = im.slice();
    const fft = new FFT(n);
    fft.forward(re, im);
    fft.inverse(re, im);
    expect(maxDiff(re, re0)).toBeLessThan(1e-12);
    expect(maxDiff(im, im0)).toBeLessThan(1e-12);
  });

  it('puts a pure tone in its bin', () => {
    const n = 1024;
    const re = Float64Array.from({ length: n }, (_, t) => Math.cos((2 * Math.PI * 37 * t) / n));
    const im = new Float64Array(n);
    new FFT(n).forward(re, im);
    expect(re[37]).toBeCloseTo(n / 2, 6);
    expect(re[n - 37]).toBeCloseTo(n / 2, 6);
    expect(Math.abs(re[36] as number) + Math.abs(im[38] as number)).toBeLessThan(1e-9);
  });

  it('refuses sizes that are not powers of two, and arrays of the wrong size', () => {
    expect(() => new FFT(48_000)).toThrow(RangeError);
    expect(() => new FFT(0)).toThrow(RangeError);
    expect(() => new FFT(8).forward(new Float64Array(4), new Float64Array(4))).toThrow(RangeError);
  });

  it('rounds sizes up to a power of two', () => {
    expect(nextPowerOfTwo(0)).toBe(1);
    expect(nextPowerOfTwo(1)).toBe(1);
    expect(nextPowerOfTwo(1024)).toBe(1024);
    expect(nextPowerOfTwo(72_000 + 5_759)).toBe(131_072);
  });
});
