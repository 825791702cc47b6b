import { median } from '../common/median.js';

/**
 * A microphone recording placed on the local clock by its own samples, offset by the capture
 * timestamps of its chunks.
 *
 * Why not through the audio context (measured on this project's rig, docs/sync.md "Calibration"):
 * a microphone that reaches Web Audio passes a FIFO between the capture thread and the render thread,
 * and its samples, placed by the context frame at which the worklet saw them and the output clock,
 * wandered 2-5 ms against the truth from one second to the next (15-30 ms in a loaded run), which
 * is the error of every arrival. The browser's capture timestamps (WebCodecs `AudioData.timestamp`
 * from a `MediaStreamTrackProcessor`: microseconds on the `performance.now()` timebase) come from
 * the capture thread, before any FIFO, but they are estimates too: measured, each chunk's timestamp
 * wandered +-5-15 ms around what its position in the stream says, while the samples themselves
 * were exact. So the samples are the clock:
 *
 * - the chunks are laid end to end, sample for sample;
 * - where the timestamps jump ahead of the samples by more than {@link GAP_MS} and stay there (the
 *   median of {@link GAP_CHUNKS} chunks after against as many before), chunks were lost (the page
 *   was too busy to read them): as many whole chunks of silence as the jump is closest to are put in;
 * - each stretch between losses gets one offset, the median of what all its chunks' timestamps
 *   say, at the nominal sample rate: the timestamps' wander averages out, and what is left is common
 *   to every arrival in the run (it cancels between devices, with the microphone's own latency).
 *   The nominal rate ignores the microphone's clock drift: 200 ppm (the worst seen here) moves an
 *   arrival 0.2 ms per second of recording, against arrivals a second apart.
 */

/** Timestamps this far (ms) ahead of the samples, for a while, mean chunks were lost. */
export const GAP_MS = 20;
/** Chunks on each side that must agree on a loss. */
export const GAP_CHUNKS = 8;

export interface MicChunk {
  /** Capture time of the first sample, local clock (ms). */
  atMs: number;
  samples: Float32Array;
}

export interface MicTimeline {
  /** The recording, gaps filled with silence. */
  samples: Float32Array;
  /** Local time (ms) of sample `index` (fractional indices allowed). */
  localAt(index: number): number;
  /** The (fractional) sample index at local time `localMs`. */
  indexAt(localMs: number): number;
  /** How many samples of silence stand in for lost chunks. */
  filled: number;
}

export function micTimeline(chunks: readonly MicChunk[], sampleRate: number): MicTimeline | null {
  if (chunks.length === 0 || !(sampleRate > 0)) return null;
  const msPerSample = 1000 / sampleRate;
  // What each chunk's timestamp says the recording's first sample was (end to end, no gaps).
  const starts: number[] = [];
  let end = 0;
  for (const c of chunks) {
    starts.push(end);
    end += c.samples.length;
  }
  const origin = chunks.map((c, k) => c.atMs - (starts[k] as number) * msPerSample);
  // Losses: the origin steps up and stays up. Silence is put in, and later chunks move on.
  const segments: number[] = [0];
  let filled = 0;
  for (let k = GAP_CHUNKS; k + GAP_CHUNKS <= chunks.length; k++) {
    const before = median(origin.slice(k - GAP_CHUNKS, k));
    const after = median(origin.slice(k, k + GAP_CHUNKS));
    const jump = after - before;
    if (jump > GAP_MS && k - (segments[segments.length - 1] as number) >= GAP_CHUNKS) {
      // The windows see the jump from a few chunks before it: the loss is at the largest single step.
      let at = k;
      for (let j = k + 1; j < Math.min(chunks.length, k + GAP_CHUNKS); j++) {
        if (
          (origin[j] as number) - (origin[j - 1] as number) >
          (origin[at] as number) - (origin[at - 1] as number)
        )
          at = j;
      }
      // What is lost is whole chunks (the reader fell behind): as many as the jump there is closest to.
      const lost =
        median(origin.slice(at, at + GAP_CHUNKS)) - median(origin.slice(Math.max(0, at - GAP_CHUNKS), at));
      const size = (chunks[at - 1] as MicChunk).samples.length;
      const n = Math.max(1, Math.round(lost / (size * msPerSample))) * size;
      segments.push(at);
      k = at;
      for (let j = at; j < chunks.length; j++) {
        starts[j] = (starts[j] as number) + n;
        origin[j] = (origin[j] as number) - n * msPerSample;
      }
      filled += n;
    }
  }
  const samples = new Float32Array(end + filled);
  for (const [k, c] of chunks.entries()) samples.set(c.samples, starts[k] as number);
  // One origin per stretch between losses.
  const segStart: number[] = [];
  const segOrigin: number[] = [];
  for (const [i, from] of segments.entries()) {
    const to = segments[i + 1] ?? chunks.length;
    segStart.push(starts[from] as number);
    segOrigin.push(median(origin.slice(from, to)));
  }
  const times = segStart.map((s, i) => (segOrigin[i] as number) + s * msPerSample);

  /** The last stretch whose `key` is at or before `x`. */
  const last = (key: readonly number[], x: number): number => {
    let lo = 0;
    let hi = key.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((key[mid] as number) <= x) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  return {
    samples,
    filled,
    localAt: (i) => (segOrigin[last(segStart, i)] as number) + i * msPerSample,
    indexAt: (localMs) => (localMs - (segOrigin[last(times, localMs)] as number)) / msPerSample,
  };
}
