import { describe, expect, it } from 'vitest';
import { seededRandom } from '../common/seededRandom.js';
import { type MicChunk, micTimeline } from './MicTimeline.js';

const RATE = 48_000;
const CHUNK = 1024;
const MS = 1000 / RATE;

/**
 * A microphone stream that starts at local time `t0` with chunks of CHUNK samples whose sample `i`
 * is `i` (so where a sample lands can be read back), timestamped as `stamp(k, trueMs)` says.
 */
function stream(
  count: number,
  t0: number,
  stamp: (k: number, trueMs: number) => number,
  lost: ReadonlySet<number> = new Set(),
): MicChunk[] {
  const chunks: MicChunk[] = [];
  for (let k = 0; k < count; k++) {
    if (lost.has(k)) continue;
    const samples = new Float32Array(CHUNK);
    for (let i = 0; i < CHUNK; i++) samples[i] = k * CHUNK + i;
    const trueMs = t0 + k * CHUNK * MS;
    chunks.push({ atMs: stamp(k, trueMs), samples });
  }
  return chunks;
}

describe('MicTimeline: a microphone recording on the local clock', () => {
  it('places every sample exactly when the timestamps are exact', () => {
    const t = micTimeline(
      stream(100, 5000, (_k, ms) => ms),
      RATE,
    );
    expect(t?.filled).toBe(0);
    expect(t?.samples.length).toBe(100 * CHUNK);
    expect(t?.localAt(48_000)).toBeCloseTo(6000, 9);
    expect(t?.indexAt(6000)).toBeCloseTo(48_000, 6);
  });

  it('keeps the samples end to end and averages out timestamps that wander by +-10 ms', () => {
    // Measured in Chromium: capture timestamps wander 5-15 ms around the samples for seconds at a time.
    const rand = seededRandom(7);
    let wander = 0;
    const t = micTimeline(
      stream(400, 1000, (_k, ms) => {
        wander = Math.max(-12, Math.min(12, wander + (rand() - 0.5) * 3));
        return ms + wander;
      }),
      RATE,
    );
    expect(t?.filled).toBe(0);
    // The sample stream is intact: sample i holds i.
    expect(t?.samples[123_456]).toBe(123_456);
    // Every arrival is off by the same amount (common to all devices of a run; it cancels).
    const a = (t?.localAt(48_000) ?? 0) - 2000;
    const b = (t?.localAt(384_000) ?? 0) - 9000;
    expect(Math.abs(a - b)).toBeLessThan(1e-6);
    expect(Math.abs(a)).toBeLessThan(6);
  });

  it('puts in silence where chunks were lost, and places what follows by the samples', () => {
    const rand = seededRandom(3);
    const t = micTimeline(
      stream(200, 0, (_k, ms) => ms + (rand() - 0.5) * 4, new Set([100, 101, 102])),
      RATE,
    );
    expect(t?.filled).toBe(3 * CHUNK);
    expect(t?.samples.length).toBe(200 * CHUNK);
    // Sample 103 * CHUNK sits where it was captured, not three chunks early.
    expect(t?.samples[103 * CHUNK]).toBe(103 * CHUNK);
    expect(t?.samples[101 * CHUNK]).toBe(0);
    expect(Math.abs((t?.localAt(150 * CHUNK) ?? 0) - 150 * CHUNK * MS)).toBeLessThan(1);
    expect(Math.abs((t?.indexAt(150 * CHUNK * MS) ?? 0) - 150 * CHUNK)).toBeLessThan(48);
  });

  it('has nothing to place without chunks', () => {
    expect(micTimeline([], RATE)).toBeNull();
  });
});
