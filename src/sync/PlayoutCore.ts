/**
 * PlayoutCore: the pure heart of the playout. It holds decoded frames by their stamp and, for each
 * render quantum, produces exactly the media that must leave the speaker then (docs/sync.md,
 * "Playout"). It runs inside an AudioWorkletGlobalScope: no DOM, no Node, no imports, and no
 * allocation after the constructor (see "Allocation" below).
 *
 * Media time is kept as a float64 *sample index* at the media rate (48 kHz) relative to an origin
 * taken from the first frame's stamp, so that sub-sample positions keep ~1e-6 sample precision for
 * days (absolute epoch ms such as 1.8e12 only resolve 0.24 us = 0.012 samples in float64).
 *
 * Three separate concerns, as Snapcast keeps them apart:
 *
 * 1. **Target filter**: the caller's `mediaTime` per quantum is a straight line (slope: the device's
 *    drift, ~+200 ppm here) plus ~0.1 ms of noise from the clock estimates. An alpha-beta filter
 *    (phase + rate) tracks it. It starts as a least-squares line through all points so far, which
 *    learns a drift exactly within 2 quanta when the target is clean, and to ~30 ppm within 3 s
 *    under +-0.2 ms of noise, then settles (after ~4 s) on a delay-locked loop of 0.1 Hz bandwidth
 *    (F. Adriaensen, "Using a DLL to filter time", 2005: zeta = 0.707, phase time constant ~2 s),
 *    where that noise moves the rate by ~2 ppm and the phase by ~0.005 ms. A jump of the target
 *    (> 1 ms off the prediction on 3 quanta in a row, same side: an OS stall, a new output mapping,
 *    a new delay) resets the phase at once and keeps the rate; a lone outlier is ignored.
 * 2. **Read position control**: error e = read position - filtered target. The learnt rate is fed
 *    forward (it is the device's true drift, not a pitch error), and a proportional correction of
 *    1000 ppm per ms of error (time constant 1 s) is added, clamped:
 *      - |e| <= 1 ms: at most `maxSoftPpm` (500 ppm = 0.05 %, Snapcast's limit, sub-audible);
 *      - 1 ms < |e| <= `hardThresholdMs`: the clamp widens by 1000 ppm per ms beyond 1 ms, up to
 *        `maxFastPpm` (5000 ppm = 0.5 %, 8.6 cents, about the pitch JND for pure tones and only for
 *        a second or two), so a 5 ms error is gone in ~3 s instead of the 10 s that 500 ppm take.
 *        Resampling is phase-continuous, so a rate change never clicks;
 *      - |e| > `hardThresholdMs`: jump to the target with an equal-gain crossfade of `fadeMs`.
 * 3. **Concealment**: the read position advances like a clock whether or not data is there. The
 *    gain is limited by the distance to the next missing sample (a look-ahead of `fadeMs`), so it
 *    reaches 0 exactly where the data ends, and it rises again over `fadeMs` where data resumes, at
 *    the right position. Underrun time and events are counted.
 *
 * Interpolation: 4-point cubic Hermite (Catmull-Rom). It reproduces linear signals exactly and is
 * bit-transparent at integer positions. Output rates other than 48 kHz (e.g. 44.1 kHz) are handled by
 * the resampling ratio alone, without an anti-alias filter: Opus full-band audio stops at 20 kHz,
 * below 22.05 kHz.
 *
 * Allocation: `render()` and `push()` only touch numbers and typed arrays allocated in the
 * constructor: no closures, arrays, objects, `for...of` iterators or string building. The render
 * quantum is split into passes over preallocated scratch arrays (a control pass computing position
 * and gain per output sample, then a synthesis pass per channel), so the work is O(frames + fade).
 * Only `stats()` allocates (a fresh plain object for postMessage); `statsInto()` does not.
 */

export interface PlayoutOptions {
  /** Output context rate, e.g. 48000 or 44100. */
  sampleRate: number;
  /** Output and storage channels, e.g. 2. Frames with fewer channels are upmixed from their first. */
  channels: number;
  /** Rate of the frames (media samples per second). Default 48000. */
  mediaRate?: number;
  /** Ring capacity (ms of media). Default 2000. */
  capacityMs?: number;
  /** Correction limit for errors up to 1 ms (ppm). Default 500 (0.05 %, like Snapcast). */
  maxSoftPpm?: number;
  /** Correction limit for mid-size errors (ppm). Default 5000 (0.5 %). */
  maxFastPpm?: number;
  /** |error| above this (ms) jumps with a crossfade. Default 20. */
  hardThresholdMs?: number;
  /** Crossfade and concealment fade length (ms). Default 5. */
  fadeMs?: number;
  /** Bound on the learnt device drift (ppm). Default 1000 (sound cards are within +-100..300). */
  maxDriftPpm?: number;
  /** After this long without data (ms), playback stops counting underrun and waits for a new start. Default 500. */
  idleAfterMs?: number;
}

/** Cumulative counters and current state, plain numbers (copyable to the main thread). */
export interface PlayoutStats {
  /** Every call to push(), accepted or not. */
  framesReceived: number;
  /** Frames that arrived after their last sample had been played (dropped). */
  framesLate: number;
  /** By how much (ms, summed over the late frames) they missed: its growth over the growth of framesLate is the mean miss. */
  lateMsTotal: number;
  /** Frames whose stamp was already held (ignored). */
  framesDuplicate: number;
  /** Frames refused as malformed or too far in the future for the ring. */
  framesDropped: number;
  /** Output time (ms) while playing with no data, concealed by silence. */
  underrunMs: number;
  /** Times the data ran out while playing. */
  concealEvents: number;
  /** Jumps of the read position (|error| > hardThresholdMs). */
  hardResyncs: number;
  /** Jumps of the caller's target detected by the target filter. */
  targetSteps: number;
  /** Current filtered sync error: read position minus target (ms); + means playing late. */
  errorMs: number;
  /** Current rate relative to nominal (ppm): learnt drift plus correction. */
  ratePpm: number;
  /** Media received ahead of the read position (ms), holes included. */
  bufferedMs: number;
  /** Data has been heard since the last start and has not been missing for idleAfterMs. */
  playing: boolean;
  /** When the last underrun began, how far the newest media held was ahead of the read position (ms). Diagnostics. */
  lastGapNewestMs: number;
}

/** Output samples handled per control/synthesis pass; longer renders are processed in chunks. */
const CHUNK = 512;
/** The target filter's steady bandwidth (Hz): phase time constant ~2 s, rate noise ~2 ppm. */
const DLL_HZ = 0.1;
/** A target this far off the prediction (ms) on STEP_QUANTA consecutive quanta is a step. */
const STEP_MS = 1;
const STEP_QUANTA = 3;
/** Proportional correction: ppm per ms of error (time constant 1000 / K = 1 s). */
const CORRECTION_PPM_PER_MS = 1000;
/** Errors above this (ms) widen the correction clamp, by FAST_SLOPE ppm per ms beyond. */
const FAST_ABOVE_MS = 1;
const FAST_SLOPE_PPM_PER_MS = 1000;

/** Ring slot of media sample index k (k may be negative: frames older than the origin). */
function slotOf(k: number, cap: number): number {
  const s = k % cap;
  return s < 0 ? s + cap : s;
}

/** Smoothstep: zero slope at both ends, and s(g) + s(1 - g) = 1 (an equal-gain crossfade). */
function shape(g: number): number {
  return g * g * (3 - 2 * g);
}

function checkedNumber(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new RangeError(`PlayoutCore: ${name} must be a number in [${min}, ${max}], got ${String(value)}`);
  }
  return v;
}

export class PlayoutCore {
  readonly #sampleRate: number;
  readonly #channels: number;
  readonly #mediaRate: number;
  readonly #msToSamples: number;
  /** Media samples per output sample at nominal speed. */
  readonly #nominalStep: number;
  readonly #cap: number;
  /** Per-channel stride in #data: the ring plus 3 guard samples mirroring slots 0..2. */
  readonly #stride: number;
  readonly #data: Float32Array;
  /** Media sample index held by each slot, NaN if empty: presence and ring aliasing in one test. */
  readonly #tags: Float64Array;
  readonly #maxFrame: number;

  readonly #fadeOut: number;
  readonly #gStep: number;
  readonly #invFadeMedia: number;
  readonly #lookahead: number;
  readonly #hardSamples: number;
  readonly #maxSoftPpm: number;
  readonly #maxFastPpm: number;
  readonly #maxDrift: number;
  readonly #idleSamples: number;

  // Origin of the sample index (host-clock ms); set from the first frame after a start or flush.
  #origin = Number.NaN;
  #originFromFrame = false;

  // Target filter (DLL). #tHat is the filtered target for the next quantum's first sample.
  #filterInit = false;
  #tHat = 0;
  #rateRes = 0;
  /** Quanta that fed the filter (for its least-squares start), and the length of the last one. */
  #filterN = 0;
  #lastFrames = 0;
  #stepRun = 0;
  #stepSign = 0;

  // Main voice.
  #playing = false;
  #pos = 0;
  #g = 0;
  #ratio: number;
  #wasPresent = false;
  #missingRun = 0;
  // Fading voice of a hard resync crossfade.
  #oldActive = false;
  #oldPos = 0;
  #oldG = 0;

  #newestEnd = Number.NEGATIVE_INFINITY;
  #errorMs = 0;

  // Fade-out tail rendered by flush(), mixed into the next renders.
  readonly #tail: Float32Array;
  #tailPos: number;

  // Scratch for the passes.
  readonly #sSlot = new Int32Array(CHUNK);
  readonly #sFrac = new Float64Array(CHUNK);
  readonly #sGain = new Float32Array(CHUNK);
  readonly #oSlot = new Int32Array(CHUNK);
  readonly #oFrac = new Float64Array(CHUNK);
  readonly #oGain = new Float32Array(CHUNK);

  #framesReceived = 0;
  #framesLate = 0;
  #lateSamples = 0;
  #framesDuplicate = 0;
  #framesDropped = 0;
  #underrunSamples = 0;
  #concealEvents = 0;
  #hardResyncs = 0;
  #targetSteps = 0;
  #gapNewest = Number.NaN;

  constructor(options: PlayoutOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('PlayoutCore: options required');
    this.#sampleRate = checkedNumber('sampleRate', options.sampleRate, Number.NaN, 3000, 768_000);
    const channels = checkedNumber('channels', options.channels, Number.NaN, 1, 32);
    if (!Number.isInteger(channels)) throw new RangeError('PlayoutCore: channels must be an integer');
    this.#channels = channels;
    this.#mediaRate = checkedNumber('mediaRate', options.mediaRate, 48_000, 3000, 768_000);
    const capacityMs = checkedNumber('capacityMs', options.capacityMs, 2000, 100, 120_000);
    this.#maxSoftPpm = checkedNumber('maxSoftPpm', options.maxSoftPpm, 500, 0, 100_000);
    this.#maxFastPpm = Math.max(
      this.#maxSoftPpm,
      checkedNumber('maxFastPpm', options.maxFastPpm, 5000, 0, 100_000),
    );
    const hardMs = checkedNumber('hardThresholdMs', options.hardThresholdMs, 20, 0.1, 10_000);
    const fadeMs = checkedNumber('fadeMs', options.fadeMs, 5, 0.1, 100);
    this.#maxDrift = checkedNumber('maxDriftPpm', options.maxDriftPpm, 1000, 0, 100_000) * 1e-6;
    const idleMs = checkedNumber('idleAfterMs', options.idleAfterMs, 500, 1, 600_000);

    this.#msToSamples = this.#mediaRate / 1000;
    this.#nominalStep = this.#mediaRate / this.#sampleRate;
    this.#ratio = this.#nominalStep;
    this.#cap = Math.ceil(capacityMs * this.#msToSamples);
    this.#stride = this.#cap + 3;
    this.#data = new Float32Array(this.#stride * channels);
    this.#tags = new Float64Array(this.#cap).fill(Number.NaN);
    this.#maxFrame = Math.floor(this.#cap / 2);

    this.#fadeOut = Math.max(1, Math.round((fadeMs * this.#sampleRate) / 1000));
    this.#gStep = 1 / this.#fadeOut;
    const fadeMedia = this.#fadeOut * this.#nominalStep;
    this.#invFadeMedia = 1 / fadeMedia;
    // Presence is known up to the last tap (i0 + 2) plus one fade, with a sample of margin.
    this.#lookahead = 4 + Math.ceil(fadeMedia * 1.01);
    this.#hardSamples = hardMs * this.#msToSamples;
    this.#idleSamples = Math.round((idleMs * this.#sampleRate) / 1000);

    this.#tail = new Float32Array(this.#fadeOut * channels);
    this.#tailPos = this.#fadeOut;
  }

  /**
   * A decoded frame: planar channels (each at least `length` samples at the media rate), stamped
   * with the host-clock ms of its first sample. Copies the data into the ring. Returns false if the
   * frame was refused: malformed or too far ahead (framesDropped), already held (framesDuplicate),
   * or entirely behind the read position (framesLate).
   */
  push(t: number, channels: Float32Array[], length: number, sourceRate?: number): boolean {
    this.#framesReceived++;
    const nch = channels.length;
    if (
      !Number.isFinite(t) ||
      !Number.isInteger(length) ||
      length <= 0 ||
      length > this.#maxFrame ||
      nch === 0 ||
      (sourceRate !== undefined && sourceRate !== this.#mediaRate)
    ) {
      this.#framesDropped++;
      return false;
    }
    for (let c = 0; c < nch; c++) {
      const ch = channels[c];
      if (!(ch instanceof Float32Array) || ch.length < length) {
        this.#framesDropped++;
        return false;
      }
    }
    if (!this.#originFromFrame) this.#setOrigin(t);
    const cap = this.#cap;
    const idx = Math.round((t - this.#origin) * this.#msToSamples);
    const end = idx + length;
    const tags = this.#tags;
    if (tags[slotOf(idx, cap)] === idx && tags[slotOf(end - 1, cap)] === end - 1) {
      this.#framesDuplicate++;
      return false;
    }
    if (this.#filterInit) {
      // Where reading is (or would start): nothing before it can be heard any more.
      let ref = this.#playing ? this.#pos : this.#tHat;
      if (end <= ref) {
        this.#framesLate++;
        this.#lateSamples += ref - end;
        return false;
      }
      // Beyond the ring's reach it would overwrite what is still to be read. Only while playing: an
      // idle core has nothing to protect, and its target may be stale (renders paused).
      if (this.#playing && this.#oldActive && this.#oldPos < ref) ref = this.#oldPos;
      if (this.#playing && end > Math.floor(ref) - 2 + cap) {
        this.#framesDropped++;
        return false;
      }
    }

    const data = this.#data;
    const stride = this.#stride;
    const outCh = this.#channels;
    let s = slotOf(idx, cap);
    for (let j = 0; j < length; j++) {
      tags[s] = idx + j;
      for (let c = 0; c < outCh; c++) {
        const src = channels[c < nch ? c : 0] as Float32Array;
        let v = src[j] as number;
        if (v - v !== 0) v = 0; // NaN or infinite: never send those to a speaker
        data[c * stride + s] = v;
        if (s < 3) data[c * stride + cap + s] = v;
      }
      s++;
      if (s === cap) s = 0;
    }
    if (end > this.#newestEnd) this.#newestEnd = end;
    return true;
  }

  /**
   * Fills `out` (planar, each at least `frames` long) with what must leave the speaker now.
   * `mediaTime` is the stamp (host-clock ms) that should be at the output for out[.][0], i.e.
   * H(output time of this quantum) - D. `mediaStep` (optional) is the media ms per output sample the
   * caller expects (1000 / sampleRate nominal); when given it is the filter's feed-forward rate.
   * A non-finite mediaTime renders silence (plus any flush tail) and leaves the state alone.
   */
  render(out: Float32Array[], frames: number, mediaTime: number, mediaStep?: number): void {
    if (!Number.isInteger(frames) || frames < 0)
      throw new TypeError(`PlayoutCore: bad frame count ${frames}`);
    const nOut = out.length;
    if (!Number.isFinite(mediaTime)) {
      for (let c = 0; c < nOut; c++) out[c]?.fill(0, 0, frames);
      this.#mixTail(out, frames);
      return;
    }
    if (Number.isNaN(this.#origin)) this.#origin = mediaTime; // provisional until the first frame
    const base =
      mediaStep !== undefined && mediaStep > 0 && Number.isFinite(mediaStep)
        ? mediaStep * this.#msToSamples
        : this.#nominalStep;
    this.#updateFilter((mediaTime - this.#origin) * this.#msToSamples);
    const rate = base + this.#rateRes;
    const tHat = this.#tHat;

    if (this.#playing) {
      let e = this.#pos - tHat;
      if (Math.abs(e) > this.#hardSamples) {
        if (this.#g > 0 && this.#g >= this.#oldG) {
          this.#oldActive = true;
          this.#oldPos = this.#pos;
          this.#oldG = this.#g;
        }
        this.#g = 0;
        this.#pos = tHat;
        this.#hardResyncs++;
        e = 0;
      }
      const eMs = e / this.#msToSamples;
      const absMs = Math.abs(eMs);
      let limit = this.#maxSoftPpm;
      if (absMs > FAST_ABOVE_MS) {
        limit = Math.min(
          this.#maxFastPpm,
          this.#maxSoftPpm + (absMs - FAST_ABOVE_MS) * FAST_SLOPE_PPM_PER_MS,
        );
      }
      let corr = -CORRECTION_PPM_PER_MS * eMs;
      if (corr > limit) corr = limit;
      else if (corr < -limit) corr = -limit;
      this.#ratio = rate * (1 + corr * 1e-6);
      this.#errorMs = eMs;
    } else {
      // No position yet (or idle after a long gap): start exactly at the target.
      this.#pos = tHat;
      this.#ratio = rate;
      this.#errorMs = 0;
    }

    const channels = this.#channels;
    for (let done = 0; done < frames; ) {
      const n = Math.min(frames - done, CHUNK);
      this.#control(n, true);
      for (let c = 0; c < nOut; c++) {
        const o = out[c];
        if (o) this.#synth(o, done, c < channels ? c : channels - 1, n, false);
      }
      done += n;
    }
    this.#mixTail(out, frames);
    this.#tHat = tHat + rate * frames;
    this.#lastFrames = frames;
  }

  /** Forgets everything buffered (source switch, seek, stream id change). Playback fades out over fadeMs. */
  flush(): void {
    if (this.#filterInit && (this.#g > 0 || this.#oldActive)) {
      const F = this.#fadeOut;
      const tail = this.#tail;
      const ch = this.#channels;
      // Keep what is left of a previous tail, moved to the front.
      const rest = F - this.#tailPos;
      for (let c = 0; c < ch; c++) {
        const b = c * F;
        if (rest > 0) tail.copyWithin(b, b + this.#tailPos, b + F);
        tail.fill(0, b + Math.max(rest, 0), b + F);
      }
      for (let done = 0; done < F; ) {
        const n = Math.min(F - done, CHUNK);
        this.#control(n, false);
        const sGain = this.#sGain;
        const oGain = this.#oGain;
        for (let i = 0; i < n; i++) {
          const env = 1 - shape((done + i + 1) / F);
          sGain[i] = (sGain[i] as number) * env;
          oGain[i] = (oGain[i] as number) * env;
        }
        for (let c = 0; c < ch; c++) this.#synth(tail, c * F + done, c, n, true);
        done += n;
      }
      this.#tailPos = 0;
    }
    this.#tags.fill(Number.NaN);
    this.#playing = false;
    this.#g = 0;
    this.#oldActive = false;
    this.#oldG = 0;
    this.#wasPresent = false;
    this.#missingRun = 0;
    this.#newestEnd = Number.NEGATIVE_INFINITY;
    this.#originFromFrame = false;
    this.#errorMs = 0;
  }

  /** A fresh snapshot (safe to post to the main thread; later renders do not change it). */
  stats(): PlayoutStats {
    return this.statsInto({
      framesReceived: 0,
      framesLate: 0,
      lateMsTotal: 0,
      framesDuplicate: 0,
      framesDropped: 0,
      underrunMs: 0,
      concealEvents: 0,
      hardResyncs: 0,
      targetSteps: 0,
      errorMs: 0,
      ratePpm: 0,
      bufferedMs: 0,
      playing: false,
      lastGapNewestMs: Number.NaN,
    });
  }

  /** Fills an existing object, without allocating (for callers on the audio thread). */
  statsInto(s: PlayoutStats): PlayoutStats {
    s.framesReceived = this.#framesReceived;
    s.framesLate = this.#framesLate;
    s.lateMsTotal = this.#lateSamples / this.#msToSamples;
    s.framesDuplicate = this.#framesDuplicate;
    s.framesDropped = this.#framesDropped;
    s.underrunMs = (this.#underrunSamples * 1000) / this.#sampleRate;
    s.concealEvents = this.#concealEvents;
    s.hardResyncs = this.#hardResyncs;
    s.targetSteps = this.#targetSteps;
    s.errorMs = this.#errorMs;
    s.ratePpm = (this.#ratio / this.#nominalStep - 1) * 1e6;
    const ahead = this.#newestEnd - this.#pos;
    s.bufferedMs = this.#filterInit && ahead > 0 ? ahead / this.#msToSamples : 0;
    s.playing = this.#playing;
    s.lastGapNewestMs = this.#gapNewest;
    return s;
  }

  /** Moves the sample-index origin to host-clock ms `t`, shifting every position kept relative to it. */
  #setOrigin(t: number): void {
    if (!Number.isNaN(this.#origin)) {
      const shift = (this.#origin - t) * this.#msToSamples;
      this.#tHat += shift;
      this.#pos += shift;
      this.#oldPos += shift;
    }
    this.#origin = t;
    this.#originFromFrame = true;
  }

  /**
   * One filter update with the measured target `tgt` (samples) for this quantum's first sample.
   * An alpha-beta filter: phase += alpha * r, rate += beta * r / T. Its gains start as those of a
   * least-squares line through every point so far (alpha = 2(2n-1)/(n(n+1)), beta = 6/(n(n+1)): the
   * "expanding memory" filter, optimal for a straight line in white noise, so the drift is known to
   * ~20 ppm after 1 s of +-0.2 ms noise and exactly after 2 quanta without noise), and settle on a
   * DLL's at DLL_HZ (alpha = sqrt(2) w, beta = w^2, w = 2 pi B T; Adriaensen) after ~4 s, so that it
   * keeps following slow changes.
   */
  #updateFilter(tgt: number): void {
    if (!this.#filterInit) {
      this.#filterInit = true;
      this.#tHat = tgt;
      this.#rateRes = 0;
      this.#filterN = 1;
      return;
    }
    const r = tgt - this.#tHat;
    if (Math.abs(r) > STEP_MS * this.#msToSamples) {
      const sign = r > 0 ? 1 : -1;
      this.#stepRun = sign === this.#stepSign ? this.#stepRun + 1 : 1;
      this.#stepSign = sign;
      // Not playing, nothing is heard yet: follow a step at once so that the start is exact.
      if (this.#stepRun >= (this.#playing ? STEP_QUANTA : 1)) {
        this.#tHat = tgt;
        this.#stepRun = 0;
        this.#stepSign = 0;
        this.#targetSteps++;
      }
      return; // an outlier until confirmed: the prediction stands
    }
    this.#stepRun = 0;
    this.#stepSign = 0;
    const T = this.#lastFrames;
    if (T === 0) return;
    const n = ++this.#filterN;
    const w = (2 * Math.PI * DLL_HZ * T) / this.#sampleRate;
    const alpha = Math.max((2 * (2 * n - 1)) / (n * (n + 1)), Math.SQRT2 * w);
    const beta = Math.max(6 / (n * (n + 1)), w * w);
    this.#tHat += alpha * r;
    let res = this.#rateRes + (beta * r) / T;
    const lim = this.#maxDrift * this.#nominalStep;
    if (res > lim) res = lim;
    else if (res < -lim) res = -lim;
    this.#rateRes = res;
  }

  /**
   * Control pass over n output samples: advances both voices, decides presence and gain per sample,
   * and leaves slot, fraction and gain in the scratch arrays. `live` counts underruns and may start
   * or idle the playback; flush() runs it with live = false to render its fade-out tail.
   */
  #control(n: number, live: boolean): void {
    const cap = this.#cap;
    const tags = this.#tags;
    const ratio = this.#ratio;
    const gStep = this.#gStep;
    const invFade = this.#invFadeMedia;
    const lookahead = this.#lookahead;
    const sSlot = this.#sSlot;
    const sFrac = this.#sFrac;
    const sGain = this.#sGain;
    const oSlot = this.#oSlot;
    const oFrac = this.#oFrac;
    const oGain = this.#oGain;
    let pos = this.#pos;
    let g = this.#g;
    // Known present: media samples [i0 - 1, scanEnd); gap = scanEnd is known missing. Rescanned each
    // pass because frames may have arrived since the last one.
    let scanEnd = Math.floor(pos) - 1;
    let scanSlot = slotOf(scanEnd, cap);
    let gap = false;

    for (let i = 0; i < n; i++) {
      const i0 = Math.floor(pos);
      if (gap && scanEnd < i0 - 1) {
        scanEnd = i0 - 1;
        scanSlot = slotOf(scanEnd, cap);
        gap = false;
      }
      if (!gap) {
        const want = i0 + lookahead;
        while (scanEnd < want) {
          if (tags[scanSlot] !== scanEnd) {
            gap = true;
            break;
          }
          scanEnd++;
          scanSlot++;
          if (scanSlot === cap) scanSlot = 0;
        }
      }
      if (scanEnd > i0 + 2) {
        // All four taps present. Gain: rise by one fade step, but never above the distance to a gap.
        let limit = 1;
        if (gap) {
          limit = (scanEnd - 2 - pos) * invFade;
          if (limit < 0) limit = 0;
          else if (limit > 1) limit = 1;
        }
        g += gStep;
        if (g > limit) g = limit;
        if (live) {
          this.#playing = true;
          this.#wasPresent = true;
          this.#missingRun = 0;
        }
        sSlot[i] = slotOf(i0 - 1, cap);
        sFrac[i] = pos - i0;
        sGain[i] = shape(g);
      } else {
        g = 0;
        sGain[i] = 0;
        if (live && this.#playing) {
          this.#underrunSamples++;
          if (this.#wasPresent) {
            this.#concealEvents++;
            this.#gapNewest = (this.#newestEnd - pos) / this.#msToSamples;
          }
          this.#wasPresent = false;
          if (++this.#missingRun > this.#idleSamples) this.#playing = false;
        }
      }
      pos += ratio;

      if (this.#oldActive) {
        let og = this.#oldG - gStep;
        const op = this.#oldPos;
        if (og <= 0) {
          og = 0;
          this.#oldActive = false;
        }
        this.#oldG = og;
        const k = Math.floor(op);
        const ks = slotOf(k - 1, cap);
        // The fading voice only checks its own taps: it lasts one fade and reads data just played.
        if (
          og > 0 &&
          tags[ks] === k - 1 &&
          tags[slotOf(k, cap)] === k &&
          tags[slotOf(k + 1, cap)] === k + 1 &&
          tags[slotOf(k + 2, cap)] === k + 2
        ) {
          oSlot[i] = ks;
          oFrac[i] = op - k;
          oGain[i] = shape(og);
        } else {
          oGain[i] = 0;
        }
        this.#oldPos = op + ratio;
      } else {
        oGain[i] = 0;
      }
    }
    this.#pos = pos;
    this.#g = g;
  }

  /** Synthesis pass for one channel: 4-point Hermite of both voices into dest[offset..offset+n). */
  #synth(dest: Float32Array, offset: number, ch: number, n: number, add: boolean): void {
    const data = this.#data;
    const base = ch * this.#stride;
    const sSlot = this.#sSlot;
    const sFrac = this.#sFrac;
    const sGain = this.#sGain;
    const oSlot = this.#oSlot;
    const oFrac = this.#oFrac;
    const oGain = this.#oGain;
    for (let i = 0; i < n; i++) {
      let y = 0;
      const g = sGain[i] as number;
      if (g > 0) {
        const s = base + (sSlot[i] as number);
        y =
          g *
          hermite(
            data[s] as number,
            data[s + 1] as number,
            data[s + 2] as number,
            data[s + 3] as number,
            sFrac[i] as number,
          );
      }
      const og = oGain[i] as number;
      if (og > 0) {
        const s = base + (oSlot[i] as number);
        y +=
          og *
          hermite(
            data[s] as number,
            data[s + 1] as number,
            data[s + 2] as number,
            data[s + 3] as number,
            oFrac[i] as number,
          );
      }
      const k = offset + i;
      dest[k] = add ? (dest[k] as number) + y : y;
    }
  }

  /** Adds what is left of the flush tail to the start of `out`. */
  #mixTail(out: Float32Array[], frames: number): void {
    const F = this.#fadeOut;
    const from = this.#tailPos;
    if (from >= F) return;
    const n = Math.min(F - from, frames);
    const tail = this.#tail;
    const channels = this.#channels;
    for (let c = 0; c < out.length; c++) {
      const o = out[c];
      if (!o) continue;
      const b = (c < channels ? c : channels - 1) * F + from;
      for (let i = 0; i < n; i++) o[i] = (o[i] as number) + (tail[b + i] as number);
    }
    this.#tailPos = from + n;
  }
}

/** 4-point, 3rd-order Hermite (Catmull-Rom) between x0 and x1 at fraction f (Niemitalo, "Polynomial interpolators", 2001). */
function hermite(xm1: number, x0: number, x1: number, x2: number, f: number): number {
  const c1 = 0.5 * (x1 - xm1);
  const c2 = xm1 - 2.5 * x0 + 2 * x1 - 0.5 * x2;
  const c3 = 0.5 * (x2 - xm1) + 1.5 * (x0 - x1);
  return ((c3 * f + c2) * f + c1) * f + x0;
}
