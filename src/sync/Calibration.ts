import { FFT, nextPowerOfTwo } from './fft.js';

/**
 * Acoustic calibration: where the sound really leaves each speaker.
 *
 * The browser's `getOutputTimestamp()` says when a sample leaves the audio *destination*; what the
 * speaker adds after that (a Bluetooth link: 100-300 ms; a phone's DSP: 2-100+ ms) is invisible to
 * it. So one device's microphone records while every device of the room in turn plays
 * {@link calibrationSignal} at an instant scheduled on the host clock. {@link findArrival} finds each
 * signal in the recording; the arrival minus the scheduled instant is that device's error, plus a
 * constant common to all of them (the microphone's own latency, the sound's flight to it), and
 * {@link calibrationOffsets} turns the differences into new per-device offsets.
 *
 * Pure: no DOM, no Node APIs; everything in samples of the recording or in ms.
 */

/** Duration of the calibration signal (ms). Long enough to carry energy through music and talk. */
export const CALIBRATION_SIGNAL_MS = 120;
/** Raised-cosine fade at each end of the signal (ms): no click at the start or the end. */
export const CALIBRATION_FADE_MS = 5;
/** The sweep's first frequency (Hz). Phone speakers give little below ~1 kHz. */
export const CALIBRATION_START_HZ = 1500;
/** The sweep's last frequency (Hz). Phone microphones and speakers still reproduce it. */
export const CALIBRATION_END_HZ = 9000;
/** Peak amplitude of the signal (full scale = 1): loud, with headroom for the output's own gain. */
export const CALIBRATION_AMPLITUDE = 0.5;

/**
 * An arrival is *heard* when its correlation peak stands this far above the noise floor (dB of
 * amplitude; the floor: see {@link findArrival}). Measured on 1.5 s windows at 48 kHz without the
 * signal (100 windows each of white noise, synthetic music, drums and talk), the best peak stood at
 * most 12.5, 13.0, 13.4 and 13.0 dB above the floor. With the signal at the RMS level of white noise:
 * 32-34 dB; of music: 42 dB; under white noise 10 dB louder: 21-25 dB; in music at its level, with
 * reverberation 10 dB stronger than the direct sound (RT60 0.8 s): 25 dB.
 */
export const HEARD_SNR_DB = 18;
/**
 * Between this and {@link HEARD_SNR_DB} the best peak is probably the device, but too faint to trust:
 * it is reported `too-quiet` (turn it up, bring it closer). Below, `not-heard`. The signal 17-19 dB
 * under white noise lands here.
 */
export const TOO_QUIET_SNR_DB = 15;
/**
 * Echoes: the earliest peak at least this share of the main one (the one that stands out most: the
 * strongest arrival) is the direct sound. A reflection (a wall behind the microphone, a speaker
 * facing away) can be as strong as the direct sound or stronger, but it always comes later.
 */
export const ECHO_SHARE = 0.5;
/**
 * A peak must be the largest of the envelope over +-this (ms), and an earlier one must be separated
 * from the strongest by a dip below half its own height: the main lobe of the signal's correlation is
 * ~0.2 ms wide at half power (side lobes beyond 0.5 ms: -48 dB), so neither its skirt nor a ripple on
 * it can pass for an earlier arrival.
 */
export const PEAK_SEPARATION_MS = 0.5;
/** The noise floor near a peak leaves out the peak's own +-this (ms): its main lobe. */
export const LOCAL_GUARD_MS = 1;
/**
 * How far from a peak (ms) the envelope must mostly be low: a real arrival's peak is sharp, and its
 * early reflections are a few peaks as sharp, not a crowd.
 */
export const LOCAL_RING_MS = 10;
/** Offsets are clamped to +-this (ms), like the per-device offset setting itself. */
export const MAX_OFFSET_MS = 500;
/** Speed of sound in air at ~20 C (m/s). */
export const SPEED_OF_SOUND = 343;

/** The noise floor is at least this far (dB) under the loudest point of the envelope. */
const MAX_SNR_DB = 120;

/**
 * The calibration signal at `sampleRate`: a linear sweep from {@link CALIBRATION_START_HZ} to
 * {@link CALIBRATION_END_HZ} over {@link CALIBRATION_SIGNAL_MS}, peak {@link CALIBRATION_AMPLITUDE},
 * with {@link CALIBRATION_FADE_MS} raised-cosine fades (it starts and ends at exactly 0).
 *
 * A linear sweep spreads its energy evenly over 7.5 kHz, so its autocorrelation has a single main
 * lobe ~1 / 7.5 kHz wide (0.13 ms; 0.2 ms once {@link findArrival} weights it) and its spectrum is
 * symmetric about its centre, which keeps the peak of the correlation where the signal starts. Its
 * side lobes fall off fast; music and speech, which are not swept tones, correlate weakly with it.
 */
export function calibrationSignal(sampleRate: number): Float32Array {
  if (!(sampleRate > 0) || CALIBRATION_END_HZ >= 0.45 * sampleRate) {
    throw new RangeError(`calibration needs a sample rate above ${CALIBRATION_END_HZ / 0.45} Hz`);
  }
  const n = Math.round((CALIBRATION_SIGNAL_MS * sampleRate) / 1000);
  const duration = n / sampleRate;
  const rate = (CALIBRATION_END_HZ - CALIBRATION_START_HZ) / duration;
  const fade = Math.max(1, Math.round((CALIBRATION_FADE_MS * sampleRate) / 1000));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / sampleRate;
    const phase = 2 * Math.PI * (CALIBRATION_START_HZ * t + 0.5 * rate * t * t);
    const edge = Math.min(i, n - 1 - i);
    const gain = edge < fade ? 0.5 - 0.5 * Math.cos((Math.PI * edge) / fade) : 1;
    out[i] = CALIBRATION_AMPLITUDE * gain * Math.sin(phase);
  }
  return out;
}

/** Where a signal was found, or why not. */
export type Arrival =
  | {
      heard: true;
      /** Index in the recording (fractional) at which the signal's first sample arrives. */
      sample: number;
      /** How far the arrival's correlation peak stands above the noise floor (dB, at most 120). */
      snrDb: number;
      /** RMS level of the arrival in the recording (dBFS): how loud the device is at the microphone. */
      levelDb: number;
    }
  | {
      heard: false;
      /** `too-quiet`: probably there, but too faint to time; `not-heard`: nothing stands out. */
      reason: 'not-heard' | 'too-quiet';
      /** The best peak's SNR (dB; 0 for a silent window). */
      snrDb: number;
    };

const ffts = new Map<number, FFT>();

function fftOf(size: number): FFT {
  let fft = ffts.get(size);
  if (fft === undefined) {
    fft = new FFT(size);
    ffts.set(size, fft);
  }
  return fft;
}

/**
 * Finds where `signal` begins in `recording`, among start positions [from, to) (sample indices;
 * positions outside the recording read as silence). The window should span well over the signal's
 * length (the noise floor is measured over it) and hold one device's signal only.
 *
 * 1. Cross-correlation with the signal weighted by a Hann window (a sweep weighted in time is
 *    weighted in frequency: the side lobes beyond 0.5 ms go from -23 dB to -48 dB, the main lobe
 *    widens from 0.13 to 0.21 ms), through the FFT, as an analytic signal: its magnitude, the
 *    envelope, does not depend on the sign or phase of what was received.
 * 2. Peaks: positions where the envelope is the largest over +-{@link PEAK_SEPARATION_MS}. Each
 *    one's SNR is its height over a noise floor, the highest of: the median of the envelope over the
 *    whole window (noise, steady music); its mean over the signal's length either side of the peak,
 *    leaving out +-{@link LOCAL_GUARD_MS} (a burst of talk, a drum hit: loud only locally); its median
 *    between {@link LOCAL_GUARD_MS} and {@link LOCAL_RING_MS} either side (a click correlates with the
 *    sweep as a broad hump, a real arrival as one sharp peak). The peak with the best SNR is the
 *    device, heard from {@link HEARD_SNR_DB}.
 * 3. Echoes: the earliest peak before it (by at most the signal's length) that is heard, reaches
 *    {@link ECHO_SHARE} of its height, and is separated from it by a dip below half its own height,
 *    is the direct sound. Reflections come later.
 * 4. Sub-sample position on the signed correlation: its extremum nearest the envelope's peak (of
 *    either sign: a speaker or microphone may invert), refined by where the analytic correlation's
 *    phase crosses zero (or pi), i.e. where the signed correlation peaks between samples. Exact for
 *    a clean delay (3e-5 samples); bounded by noise otherwise.
 *
 * O(n log n) in the window's length n: three FFTs of the next power of two above n plus the
 * signal's length, and a sort of the peaks (at most one per {@link PEAK_SEPARATION_MS}); the medians
 * are selections, linear. ~30 ms for a 1.5 s window at 48 kHz in Node.
 */
export function findArrival(
  recording: Float32Array,
  signal: Float32Array,
  from: number,
  to: number,
  sampleRate: number,
): Arrival {
  const first = Math.ceil(from);
  const count = Math.ceil(to) - first;
  const length = signal.length;
  if (!(count > 0) || length === 0 || !(sampleRate > 0)) {
    throw new RangeError(`findArrival: empty search [${from}, ${to}) or signal`);
  }
  const size = nextPowerOfTwo(count + length - 1);
  const fft = fftOf(size);

  // The recording's stretch that the positions [first, first + count) cover.
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  const lo = Math.max(0, first);
  const hi = Math.min(recording.length, first + count + length - 1);
  for (let i = lo; i < hi; i++) re[i - first] = recording[i] as number;
  fft.forward(re, im);

  // The weighted template, and the correlation a unit-gain arrival of the signal would peak at.
  const tRe = new Float64Array(size);
  const tIm = new Float64Array(size);
  let unitPeak = 0;
  let energy = 0;
  for (let i = 0; i < length; i++) {
    const s = signal[i] as number;
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / length);
    tRe[i] = s * w;
    unitPeak += s * s * w;
    energy += s * s;
  }
  const signalRms = Math.sqrt(energy / length);
  fft.forward(tRe, tIm);

  // X * conj(T), positive frequencies doubled and negative ones dropped: the inverse is the analytic
  // correlation z, Re z[k] = sum_m recording[first + k + m] * template[m].
  const half = size >>> 1;
  for (let k = 0; k < size; k++) {
    const xr = re[k] as number;
    const xi = im[k] as number;
    const tr = tRe[k] as number;
    const ti = tIm[k] as number;
    const g = k === 0 || k === half ? 1 : k < half ? 2 : 0;
    re[k] = g * (xr * tr + xi * ti);
    im[k] = g * (xi * tr - xr * ti);
  }
  fft.inverse(re, im);

  // The envelope, and its running sum for local means.
  const env = new Float64Array(count);
  const sums = new Float64Array(count + 1);
  let loudest = 0;
  for (let k = 0; k < count; k++) {
    const e = Math.sqrt((re[k] as number) ** 2 + (im[k] as number) ** 2);
    env[k] = e;
    sums[k + 1] = (sums[k] as number) + e;
    if (e > loudest) loudest = e;
  }
  if (!(loudest > 0)) return { heard: false, reason: 'not-heard', snrDb: 0 };
  // Floors never go below 120 dB under the loudest (a synthetic recording has no noise).
  const median = medianOf(env.slice());
  const least = Math.max(median, loudest * 10 ** (-MAX_SNR_DB / 20));
  const guard = Math.max(1, Math.round((LOCAL_GUARD_MS * sampleRate) / 1000));
  const ring = Math.max(guard + 1, Math.round((LOCAL_RING_MS * sampleRate) / 1000));
  const separation = Math.max(1, Math.round((PEAK_SEPARATION_MS * sampleRate) / 1000));
  const ringValues = new Float64Array(2 * (ring - guard + 1));
  /** A peak's SNR against the window's median and the mean around it: an upper bound of its SNR. */
  const boundAt = (k: number): number => {
    const a0 = Math.max(0, k - length);
    const a1 = Math.max(0, k - guard);
    const b0 = Math.min(count, k + guard + 1);
    const b1 = Math.min(count, k + length + 1);
    const n = a1 - a0 + Math.max(0, b1 - b0);
    const sum =
      (sums[a1] as number) -
      (sums[a0] as number) +
      (b1 > b0 ? (sums[b1] as number) - (sums[b0] as number) : 0);
    return (env[k] as number) / Math.max(least, n > 0 ? sum / n : 0);
  };
  /** The same, and against the median of the ring around it: its SNR (see findArrival, 2.). */
  const snrAt = (k: number, bound: number): number => {
    let m = 0;
    for (let j = Math.max(0, k - ring); j <= k - guard; j++) ringValues[m++] = env[j] as number;
    for (let j = k + guard; j <= Math.min(count - 1, k + ring); j++) ringValues[m++] = env[j] as number;
    const near = m > 0 ? medianOf(ringValues.subarray(0, m)) : 0;
    return Math.min(bound, (env[k] as number) / near);
  };

  // Peaks: the largest envelope value over +-separation, above the window's median.
  const candidates: number[] = [];
  const bounds: number[] = [];
  for (let k = 0; k < count; k++) {
    const e = env[k] as number;
    if (e <= least) continue;
    let isMax = true;
    const end = Math.min(count - 1, k + separation);
    for (let j = Math.max(0, k - separation); j <= end; j++) {
      if ((env[j] as number) > e || ((env[j] as number) === e && j < k)) {
        isMax = false;
        break;
      }
    }
    if (!isMax) continue;
    candidates.push(k);
    bounds.push(boundAt(k));
  }
  const snrs = new Float64Array(candidates.length).fill(Number.NaN);
  const snrOf = (c: number): number => {
    let v = snrs[c] as number;
    if (Number.isNaN(v)) {
      v = snrAt(candidates[c] as number, bounds[c] as number);
      snrs[c] = v;
    }
    return v;
  };

  // The peak that stands out most. The ring's median is the costly part: peaks are tried from the
  // best bound down, until no bound is left above the best SNR found.
  const order = candidates.map((_, c) => c).sort((a, b) => (bounds[b] as number) - (bounds[a] as number));
  let best = -1;
  let bestSnr = 0;
  for (const c of order) {
    if ((bounds[c] as number) <= bestSnr) break;
    const v = snrOf(c);
    if (v > bestSnr) {
      bestSnr = v;
      best = c;
    }
  }
  const snrDb = best < 0 ? 0 : 20 * Math.log10(bestSnr);
  if (best < 0 || snrDb < HEARD_SNR_DB) {
    return { heard: false, reason: snrDb >= TOO_QUIET_SNR_DB ? 'too-quiet' : 'not-heard', snrDb };
  }

  // The earliest heard peak before it (within the signal's length) that is strong enough and
  // separated from it by a dip: the direct sound.
  const main = candidates[best] as number;
  const peak = env[main] as number;
  const heard = 10 ** (HEARD_SNR_DB / 20);
  let pick = best;
  let dip = peak;
  for (let c = best - 1; c >= 0; c--) {
    const k = candidates[c] as number;
    if (k < main - length) break;
    // The lowest envelope between this candidate and the later one looked at before.
    const later = candidates[c + 1] as number;
    for (let j = k; j < later; j++) dip = Math.min(dip, env[j] as number);
    const e = env[k] as number;
    if (e >= ECHO_SHARE * peak && dip <= 0.5 * e && snrOf(c) >= heard) pick = c;
  }
  const at = candidates[pick] as number;

  return {
    heard: true,
    sample: first + refine(re, im, env, at, tRe, tIm),
    snrDb: 20 * Math.log10(snrOf(pick)),
    levelDb: 20 * Math.log10(((env[at] as number) / unitPeak) * signalRms),
  };
}

/**
 * The median (the upper one for an even count) of `values`, which it reorders: Hoare's selection,
 * O(n) on average.
 */
function medianOf(values: Float64Array): number {
  const k = values.length >>> 1;
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        const t = values[i] as number;
        values[i] = values[j] as number;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return values[k] as number;
}

/**
 * Sub-sample position of the arrival whose envelope peaks at integer `k`: the extremum of the
 * signed correlation (either sign) within a quarter period of the template's centre frequency,
 * then where the phase of the analytic correlation passes through 0 (or pi) near it.
 */
function refine(
  re: Float64Array,
  im: Float64Array,
  env: Float64Array,
  k: number,
  tRe: Float64Array,
  tIm: Float64Array,
): number {
  // Centre frequency of the template (power-weighted mean over positive frequencies), in cycles
  // per sample: the signed correlation oscillates at it under the envelope.
  const half = tRe.length >>> 1;
  let sum = 0;
  let moment = 0;
  for (let b = 1; b < half; b++) {
    const p = (tRe[b] as number) ** 2 + (tIm[b] as number) ** 2;
    sum += p;
    moment += p * b;
  }
  const centre = sum > 0 ? moment / sum / tRe.length : 0.25;
  const reach = Math.max(1, Math.ceil(1 / (4 * centre)));
  const count = env.length;
  let m = k;
  for (let j = Math.max(0, k - reach); j <= Math.min(count - 1, k + reach); j++) {
    if (Math.abs(re[j] as number) > Math.abs(re[m] as number)) m = j;
  }
  if (m === 0 || m === count - 1) return m;
  // Phase at m, relative to the extremum's sign; phase advance per sample from the neighbours.
  const zr = re[m] as number;
  const zi = im[m] as number;
  const sign = zr < 0 ? -1 : 1;
  const theta = Math.atan2(sign * zi, sign * zr);
  const ar = re[m + 1] as number;
  const ai = im[m + 1] as number;
  const br = re[m - 1] as number;
  const bi = im[m - 1] as number;
  const omega = Math.atan2(ai * br - ar * bi, ar * br + ai * bi) / 2;
  if (!(omega > 0)) return m;
  const delta = -theta / omega;
  return Math.abs(delta) <= 1 ? m + delta : m;
}

/**
 * New per-device offsets from one calibration.
 *
 * `errorMs`: each device's measured arrival minus the instant it was scheduled to play at (null:
 * not heard). Every error also holds a constant common to all devices: the recording device's
 * input latency, unknown but the same for every signal (and the sound's flight to the microphone,
 * ~2.9 ms per metre, which calibration cannot tell from a speaker's delay). So only differences
 * between devices mean anything, and the room is aligned to a reference: the median error.
 *
 * The median, rather than the earliest or the latest device: most devices move a little, some
 * earlier and some later, and one outlier (a Bluetooth speaker 200 ms late) is pulled earlier to
 * meet the room instead of delaying every other device to meet it. The median ignores it.
 *
 * New offset = `offsetMs - (errorMs - reference)` (+ = plays later: a device heard late plays
 * earlier), clamped to +-{@link MAX_OFFSET_MS} and rounded to 0.1 ms. A device not heard gets null
 * (keep its offset). With a single device heard, its error is the reference: its offset stays.
 *
 * `referenceId`: align the others to that device instead (its error is the reference, its offset
 * stays): re-calibrating one device against one whose sound is right. If it was not heard, the
 * median again.
 */
export function calibrationOffsets(
  results: ReadonlyArray<{ id: string; errorMs: number | null; offsetMs: number }>,
  referenceId?: string,
): Array<{ id: string; offsetMs: number | null }> {
  const heard = (e: number | null): e is number => e !== null && Number.isFinite(e);
  const errors = results
    .map((r) => r.errorMs)
    .filter(heard)
    .sort((a, b) => a - b);
  const n = errors.length;
  const chosen = results.find((r) => r.id === referenceId)?.errorMs ?? null;
  const reference = heard(chosen)
    ? chosen
    : n === 0
      ? 0
      : n % 2 === 1
        ? (errors[n >>> 1] as number)
        : 0.5 * ((errors[n / 2 - 1] as number) + (errors[n / 2] as number));
  return results.map(({ id, errorMs, offsetMs }) => {
    if (!heard(errorMs)) return { id, offsetMs: null };
    const next = offsetMs - (errorMs - reference);
    const clamped = Math.max(-MAX_OFFSET_MS, Math.min(MAX_OFFSET_MS, next));
    return { id, offsetMs: Math.round(clamped * 10) / 10 + 0 };
  });
}

/** How long sound takes over `metres` (ms): 2.9 ms per metre. */
export function distanceMs(metres: number): number {
  return (metres / SPEED_OF_SOUND) * 1000;
}
