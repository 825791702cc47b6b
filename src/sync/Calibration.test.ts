import { describe, expect, it } from 'vitest';
import { type Random, seededRandom } from '../common/seededRandom.js';
import {
  type Arrival,
  CALIBRATION_AMPLITUDE,
  CALIBRATION_END_HZ,
  CALIBRATION_SIGNAL_MS,
  CALIBRATION_START_HZ,
  calibrationOffsets,
  calibrationSignal,
  distanceMs,
  findArrival,
  MAX_OFFSET_MS,
} from './Calibration.js';
import { FFT } from './fft.js';

const RATE = 48_000;
const SIGNAL = calibrationSignal(RATE);
const SIGNAL_RMS = rms(SIGNAL);
/** A 1.5 s search window, as a calibration uses per device. */
const WINDOW = Math.round(1.5 * RATE);

function rms(x: Float32Array): number {
  let sum = 0;
  for (const v of x) sum += v * v;
  return Math.sqrt(sum / x.length);
}

/**
 * Adds `gain` x `signal` to `out`, its first sample at the fractional index `at`: band-limited
 * interpolation (a Blackman-windowed sinc over 66 taps), exact for the sweep's band.
 */
function place(out: Float32Array, signal: Float32Array, at: number, gain = 1): void {
  const base = Math.floor(at);
  const frac = at - base;
  const half = 32;
  const taps: number[] = [];
  for (let j = -half; j <= half + 1; j++) {
    const x = j - frac;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const u = (x + half + 1) / (2 * half + 2);
    const w = 0.42 - 0.5 * Math.cos(2 * Math.PI * u) + 0.08 * Math.cos(4 * Math.PI * u);
    taps.push(u > 0 && u < 1 ? sinc * w : 0);
  }
  for (let k = 0; k < signal.length; k++) {
    const s = (signal[k] as number) * gain;
    for (let j = -half; j <= half + 1; j++) {
      const i = base + k + j;
      if (i >= 0 && i < out.length) out[i] = (out[i] as number) + s * (taps[j + half] as number);
    }
  }
}

function gaussian(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** White noise of RMS `level`. */
function whiteNoise(length: number, level: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length }, () => level * gaussian(random));
}

/**
 * Something like music, scaled to RMS `level`: a chord of sines up to 6 kHz (several inside the
 * sweep's band) swelling slowly, a bass line changing note every half second, a kick drum every
 * quarter second and a snare (a burst of noise) every other beat.
 */
function music(length: number, level: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const tones = [261.6, 329.6, 392, 523.3, 659.3, 1046.5, 1568, 2093, 3136, 4186, 6272];
  const phases = tones.map(() => random() * 2 * Math.PI);
  const bass = [55, 73.4, 82.4, 65.4];
  const beat = Math.round(RATE * 0.25);
  const out = new Float32Array(length);
  let bassPhase = 0;
  for (let i = 0; i < length; i++) {
    const t = i / RATE;
    let y = 0;
    tones.forEach((f, j) => {
      const swell = 0.6 + 0.4 * Math.sin(2 * Math.PI * 0.7 * (j + 1) * t);
      y += (swell / (1 + 0.3 * j)) * Math.sin(2 * Math.PI * f * t + (phases[j] as number));
    });
    bassPhase += (2 * Math.PI * (bass[Math.floor(t / 0.5) % bass.length] as number)) / RATE;
    y += 1.5 * Math.sin(bassPhase);
    const sinceBeat = (i % beat) / RATE;
    y += 2 * Math.exp(-sinceBeat / 0.04) * Math.sin(2 * Math.PI * 60 * sinceBeat);
    if (Math.floor(i / beat) % 2 === 1) y += 1.5 * Math.exp(-sinceBeat / 0.03) * gaussian(random);
    out[i] = y;
  }
  const scale = level / rms(out);
  return out.map((v) => v * scale);
}

/** A recording that holds a window's worth of start positions. */
function silence(): Float32Array {
  return new Float32Array(WINDOW + SIGNAL.length);
}

/** How far (ms) an arrival is from the true start `at`; Infinity if not heard. */
function errorMs(arrival: Arrival, at: number): number {
  return arrival.heard ? (Math.abs(arrival.sample - at) / RATE) * 1000 : Number.POSITIVE_INFINITY;
}

describe('calibrationSignal', () => {
  it('is a short sweep, half full scale, that starts and ends in silence', () => {
    expect(SIGNAL.length).toBe((CALIBRATION_SIGNAL_MS * RATE) / 1000);
    expect(calibrationSignal(44_100).length).toBe(Math.round((CALIBRATION_SIGNAL_MS * 44_100) / 1000));
    const peak = SIGNAL.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(peak).toBeGreaterThan(0.98 * CALIBRATION_AMPLITUDE);
    expect(peak).toBeLessThanOrEqual(CALIBRATION_AMPLITUDE);
    // Faded in and out: no click.
    expect(SIGNAL[0]).toBe(0);
    expect(Math.abs(SIGNAL[SIGNAL.length - 1] as number)).toBeLessThan(1e-6);
    const edge = RATE / 2000;
    for (let i = 0; i < edge; i++) {
      expect(Math.abs(SIGNAL[i] as number)).toBeLessThan(0.02);
      expect(Math.abs(SIGNAL[SIGNAL.length - 1 - i] as number)).toBeLessThan(0.02);
    }
  });

  it('puts its energy where phone speakers and microphones work', () => {
    const size = 8192;
    const re = new Float64Array(size);
    const im = new Float64Array(size);
    re.set(SIGNAL);
    new FFT(size).forward(re, im);
    let total = 0;
    let inBand = 0;
    for (let k = 1; k < size / 2; k++) {
      const p = (re[k] as number) ** 2 + (im[k] as number) ** 2;
      const hz = (k * RATE) / size;
      total += p;
      if (hz >= CALIBRATION_START_HZ - 300 && hz <= CALIBRATION_END_HZ + 300) inBand += p;
    }
    expect(inBand / total).toBeGreaterThan(0.99);
  });

  it('has one sharp autocorrelation peak', () => {
    const n = SIGNAL.length;
    const at = (lag: number) => {
      let sum = 0;
      for (let i = 0; i + lag < n; i++) sum += (SIGNAL[i] as number) * (SIGNAL[i + lag] as number);
      return sum;
    };
    const peak = at(0);
    // Half a millisecond away and beyond, nothing reaches a tenth of it (-20 dB).
    let side = 0;
    for (let lag = RATE / 2000; lag < n; lag++) side = Math.max(side, Math.abs(at(lag)));
    expect(side / peak).toBeLessThan(0.1);
  });

  it('needs a sample rate that carries its band', () => {
    expect(() => calibrationSignal(16_000)).toThrow(RangeError);
  });
});

describe('findArrival', () => {
  it('finds a clean signal between samples, and how loud it is', () => {
    const recording = silence();
    place(recording, SIGNAL, 12_345.37, 0.1);
    const arrival = findArrival(recording, SIGNAL, 0, WINDOW, RATE);
    expect(errorMs(arrival, 12_345.37)).toBeLessThan(0.05);
    // 20 dB under the signal as played.
    expect(arrival.heard && arrival.levelDb).toBeCloseTo(20 * Math.log10(SIGNAL_RMS) - 20, 1);
  });

  it('times a clean signal to a small fraction of a sample', () => {
    for (const at of [5_000, 5_000.25, 5_000.5, 5_000.75]) {
      const recording = silence();
      place(recording, SIGNAL, at);
      const arrival = findArrival(recording, SIGNAL, 0, WINDOW, RATE);
      expect(arrival.heard && Math.abs(arrival.sample - at)).toBeLessThan(0.05);
    }
  });

  it('does not care about polarity', () => {
    const recording = whiteNoise(WINDOW + SIGNAL.length, 0.1 * SIGNAL_RMS, 1);
    place(recording, SIGNAL, 23_456.81, -1);
    expect(errorMs(findArrival(recording, SIGNAL, 0, WINDOW, RATE), 23_456.81)).toBeLessThan(0.05);
  });

  it('finds it in white noise as loud as the signal, and 10 dB louder', () => {
    for (const [gain, seed] of [
      [1, 2],
      [10 ** 0.5, 3],
    ] as const) {
      const recording = whiteNoise(WINDOW + SIGNAL.length, gain * SIGNAL_RMS, seed);
      place(recording, SIGNAL, 30_000.37);
      const arrival = findArrival(recording, SIGNAL, 0, WINDOW, RATE);
      expect(errorMs(arrival, 30_000.37)).toBeLessThan(0.1);
    }
  });

  it('finds it in music as loud as the signal, and 10 dB louder', () => {
    for (const [gain, seed] of [
      [1, 4],
      [10 ** 0.5, 5],
    ] as const) {
      const recording = music(WINDOW + SIGNAL.length, gain * SIGNAL_RMS, seed);
      place(recording, SIGNAL, 40_000.81);
      const arrival = findArrival(recording, SIGNAL, 0, WINDOW, RATE);
      expect(errorMs(arrival, 40_000.81)).toBeLessThan(0.2);
    }
  });

  it('takes the direct sound, not a later reflection as strong or stronger', () => {
    const recording = whiteNoise(WINDOW + SIGNAL.length, 0.3 * SIGNAL_RMS, 6);
    const direct = 20_000.5;
    place(recording, SIGNAL, direct);
    place(recording, SIGNAL, direct + 0.003 * RATE, 0.7);
    place(recording, SIGNAL, direct + 0.011 * RATE, 1.3);
    expect(errorMs(findArrival(recording, SIGNAL, 0, WINDOW, RATE), direct)).toBeLessThan(0.05);
    // Also a reflection a millisecond behind, twice as strong (a floor bounce into a speaker's lobe).
    const close = whiteNoise(WINDOW + SIGNAL.length, 0.3 * SIGNAL_RMS, 7);
    place(close, SIGNAL, direct);
    place(close, SIGNAL, direct + 0.001 * RATE, 2);
    expect(errorMs(findArrival(close, SIGNAL, 0, WINDOW, RATE), direct)).toBeLessThan(0.05);
  });

  it('finds the direct sound under the reverberation of a room', () => {
    // A living room: diffuse reflections from 2 ms on, decaying by 60 dB in 0.6 s, carrying 4 times
    // the energy of the direct sound (-6 dB): far from the speaker, most of what arrives is reflected.
    const recording = music(WINDOW + SIGNAL.length, 0.3 * SIGNAL_RMS, 16);
    const random = seededRandom(17);
    const direct = 30_000.37;
    place(recording, SIGNAL, direct);
    const taps: Array<[number, number]> = [];
    let energy = 0;
    for (let i = Math.round(0.002 * RATE); i < 0.6 * RATE; i += 2) {
      const g = gaussian(random) * Math.exp((-6.9 * i) / (0.6 * RATE));
      taps.push([i, g]);
      energy += g * g;
    }
    const scale = Math.sqrt(4 / energy);
    const base = Math.floor(direct);
    for (const [delay, g] of taps) {
      for (let k = 0; k < SIGNAL.length; k++) {
        const i = base + delay + k;
        recording[i] = (recording[i] as number) + g * scale * (SIGNAL[k] as number);
      }
    }
    expect(errorMs(findArrival(recording, SIGNAL, 0, WINDOW, RATE), direct)).toBeLessThan(0.05);
  });

  it('does not hear a device 40 dB under the noise, nor one in a silent recording', () => {
    const buried = whiteNoise(WINDOW + SIGNAL.length, SIGNAL_RMS, 8);
    place(buried, SIGNAL, 30_000, 0.01);
    expect(findArrival(buried, SIGNAL, 0, WINDOW, RATE)).toMatchObject({ heard: false, reason: 'not-heard' });
    expect(findArrival(silence(), SIGNAL, 0, WINDOW, RATE)).toMatchObject({
      heard: false,
      reason: 'not-heard',
    });
  });

  it('hears nothing in noise or music alone', () => {
    for (let seed = 10; seed < 13; seed++) {
      const noise = whiteNoise(WINDOW + SIGNAL.length, SIGNAL_RMS, seed);
      expect(findArrival(noise, SIGNAL, 0, WINDOW, RATE).heard).toBe(false);
      const song = music(WINDOW + SIGNAL.length, 3 * SIGNAL_RMS, seed);
      expect(findArrival(song, SIGNAL, 0, WINDOW, RATE).heard).toBe(false);
    }
  });

  it('does not take a click or a drum hit for a device', () => {
    const clicks = silence();
    for (let i = 1000; i < clicks.length; i += 20_000) clicks[i] = 1;
    expect(findArrival(clicks, SIGNAL, 0, WINDOW, RATE).heard).toBe(false);
    const drum = silence();
    const random = seededRandom(13);
    for (let i = 30_000; i < 30_000 + 0.15 * RATE; i++) {
      const t = (i - 30_000) / RATE;
      drum[i] =
        Math.exp(-t / 0.04) * Math.sin(2 * Math.PI * 60 * t) + 0.5 * Math.exp(-t / 0.02) * gaussian(random);
    }
    expect(findArrival(drum, SIGNAL, 0, WINDOW, RATE).heard).toBe(false);
  });

  it('calls a device just under the noise too quiet rather than missing', () => {
    const recording = whiteNoise(WINDOW + SIGNAL.length, SIGNAL_RMS, 14);
    place(recording, SIGNAL, 30_000, 10 ** (-18.5 / 20));
    expect(findArrival(recording, SIGNAL, 0, WINDOW, RATE)).toMatchObject({
      heard: false,
      reason: 'too-quiet',
    });
  });

  it('finds each device in its own window of one recording', () => {
    const recording = music(Math.round(2.6 * RATE), SIGNAL_RMS, 15);
    const first = 0.4 * RATE + 0.25;
    const second = 1.75 * RATE + 0.6;
    place(recording, SIGNAL, first, 1);
    place(recording, SIGNAL, second, 0.5);
    const a = findArrival(recording, SIGNAL, 0, 1.2 * RATE, RATE);
    const b = findArrival(recording, SIGNAL, 1.2 * RATE, 2.4 * RATE, RATE);
    expect(errorMs(a, first)).toBeLessThan(0.1);
    expect(errorMs(b, second)).toBeLessThan(0.1);
    // The second device is 6 dB quieter at the microphone.
    expect(a.heard && b.heard && a.levelDb - b.levelDb).toBeCloseTo(6, 0);
  });

  it('refuses an empty window', () => {
    expect(() => findArrival(silence(), SIGNAL, 100, 100, RATE)).toThrow(RangeError);
  });
});

describe('calibrationOffsets', () => {
  it('moves each device toward the median error, both ways', () => {
    const out = calibrationOffsets([
      { id: 'phone', errorMs: 40, offsetMs: 0 },
      { id: 'laptop', errorMs: 45, offsetMs: 10 },
      { id: 'tablet', errorMs: 37.5, offsetMs: -2 },
    ]);
    // Reference 40: the laptop is 5 ms late and plays 5 ms earlier, the tablet 2.5 ms later.
    expect(out).toEqual([
      { id: 'phone', offsetMs: 0 },
      { id: 'laptop', offsetMs: 5 },
      { id: 'tablet', offsetMs: 0.5 },
    ]);
  });

  it('pulls a late Bluetooth speaker in rather than delaying the room', () => {
    const out = calibrationOffsets([
      { id: 'a', errorMs: 30, offsetMs: 0 },
      { id: 'b', errorMs: 32, offsetMs: 0 },
      { id: 'bluetooth', errorMs: 230, offsetMs: 0 },
      { id: 'c', errorMs: 31, offsetMs: 0 },
    ]);
    // Even count: the reference is the mean of the middle two, 31.5.
    expect(out.map((o) => o.offsetMs)).toEqual([1.5, -0.5, -198.5, 0.5]);
  });

  it('leaves devices that were not heard alone', () => {
    const out = calibrationOffsets([
      { id: 'a', errorMs: 10, offsetMs: 3 },
      { id: 'gone', errorMs: null, offsetMs: 50 },
      { id: 'b', errorMs: 14, offsetMs: 0 },
    ]);
    expect(out).toEqual([
      { id: 'a', offsetMs: 5 },
      { id: 'gone', offsetMs: null },
      { id: 'b', offsetMs: -2 },
    ]);
  });

  it('keeps offsets within the setting and to a tenth of a millisecond', () => {
    const out = calibrationOffsets([
      { id: 'a', errorMs: 0, offsetMs: 0 },
      { id: 'b', errorMs: 1, offsetMs: 0 },
      { id: 'far', errorMs: 900, offsetMs: -100 },
      { id: 'odd', errorMs: 1.2345, offsetMs: 0 },
    ]);
    expect(out.map((o) => o.offsetMs)).toEqual([1.1, 0.1, -MAX_OFFSET_MS, -0.1]);
  });

  it('aligns to a chosen reference device when asked, which keeps its offset', () => {
    const results = [
      { id: 'speaker', errorMs: 50, offsetMs: 20 },
      { id: 'phone', errorMs: 62.5, offsetMs: 0 },
      { id: 'laptop', errorMs: 40, offsetMs: 0 },
    ];
    // The median would be the speaker's 50 ms; the laptop's 40 ms is the reference instead.
    expect(calibrationOffsets(results, 'laptop').map((o) => o.offsetMs)).toEqual([10, -22.5, 0]);
    // A reference that was not heard: the median again.
    const unheard = [...results, { id: 'tv', errorMs: null, offsetMs: 0 }];
    expect(calibrationOffsets(unheard, 'tv').map((o) => o.offsetMs)).toEqual([20, -12.5, 10, null]);
  });

  it('keeps the offset of a device heard alone', () => {
    expect(calibrationOffsets([{ id: 'a', errorMs: 123.4, offsetMs: 7.5 }])).toEqual([
      { id: 'a', offsetMs: 7.5 },
    ]);
    expect(calibrationOffsets([])).toEqual([]);
  });
});

describe('distanceMs', () => {
  it('is about 2.9 ms per metre', () => {
    expect(distanceMs(1)).toBeCloseTo(2.915, 3);
    expect(distanceMs(0)).toBe(0);
  });
});
