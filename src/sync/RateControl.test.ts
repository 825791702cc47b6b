import { describe, expect, it } from 'vitest';
import { RateControl, type RateSample } from './RateControl.js';

const LADDER = [256_000, 160_000, 96_000, 64_000, 32_000];
const HEADER = 20;
const START = 1; // 160 kbit/s
/** The channel drops a frame rather than hold more than this (as Wire does). */
const BACKLOG = 32 * 1024;

/**
 * A data channel on a path that carries `capacity(t)` bytes per second: what the host sends beyond
 * it waits in the send buffer, and a full buffer drops frames. Sampled every 100 ms, as HostMedia.
 */
function simulate(
  rate: RateControl,
  seconds: number,
  capacity: (t: number) => number,
  options: { loss?: number; state?: Channel; backlog?: number; quiet?: (t: number) => boolean } = {},
): { rungs: number[]; state: Channel } {
  const s = options.state ?? { buffered: 0, sent: 0, dropped: 0, frames: 0, nacked: 0, silentMs: 0, t: 0 };
  const rungs: number[] = [];
  const end = s.t + seconds * 1000;
  while (s.t < end) {
    // 10 frames in 100 ms at the current rung; in silence Opus (VBR) sends ~3 bytes a frame at any rung.
    const frameBytes = options.quiet?.(s.t) ? HEADER + 3 : rate.bytesPerSecond(rate.rung) / 100;
    for (let i = 0; i < 10; i++) {
      if (s.buffered > (options.backlog ?? BACKLOG)) {
        s.dropped++;
        continue;
      }
      s.buffered += frameBytes;
      s.sent += frameBytes;
      s.frames++;
    }
    s.buffered = Math.max(0, s.buffered - capacity(s.t) / 10);
    // Nothing comes back over a path that carries nothing (the listener's probes are lost too).
    s.silentMs = capacity(s.t) === 0 ? s.silentMs + 100 : 0;
    s.nacked += 10 * (options.loss ?? 0);
    s.t += 100;
    rungs.push(rate.update({ now: s.t, ...s }));
  }
  return { rungs, state: s };
}

/** What the simulated channel has measured so far, at simulated time `t` (ms). */
type Channel = Omit<RateSample, 'now'> & { t: number };

const kbps = (rungs: number[]) => rungs.map((r) => (LADDER[r] ?? 0) / 1000);
const changes = (rungs: number[]) => rungs.filter((r, i) => i > 0 && r !== rungs[i - 1]).length;

describe('RateControl: one listener on the bitrate ladder', () => {
  it('starts at the default rung and, on a path with room, climbs to the top after the hold, once', () => {
    const rate = new RateControl(LADDER, START, HEADER);
    const { rungs } = simulate(rate, 60, () => 1e6);
    expect(kbps(rungs)[0]).toBe(160);
    expect(kbps(rungs).at(-1)).toBe(256);
    // One step up (8 s hold), no steps down.
    expect(rate.counters).toEqual({ downs: 0, ups: 1, failedProbes: 0 });
    expect(rungs.indexOf(0)).toBeGreaterThanOrEqual(79);
  });

  it('steps down within a second when the path carries less than the stream, to a rung that fits', () => {
    const rate = new RateControl(LADDER, START, HEADER);
    // 160 kbit/s needs 22 KB/s with headers; the path carries 12 KB/s from t = 10 s.
    const { rungs, state } = simulate(rate, 30, (t) => (t < 10_000 ? 1e6 : 12_000));
    const afterCut = rungs.slice(100);
    const firstDown = afterCut.findIndex((r) => r > (rungs[99] ?? 0));
    expect(firstDown).toBeGreaterThanOrEqual(0);
    expect(firstDown).toBeLessThanOrEqual(10); // within 1 s of the cut (10 samples)
    // No frame was dropped: it stepped down before the buffer filled.
    expect(state.dropped).toBe(0);
    // It settles where the stream fits in the path.
    expect(rate.bytesPerSecond(rate.rung)).toBeLessThanOrEqual(12_000);
  });

  it('settles on the highest rung the path carries, probing above it ever more rarely', () => {
    const rate = new RateControl(LADDER, START, HEADER);
    // 16 KB/s: 96 kbit/s (14 KB/s) fits, 160 kbit/s (22 KB/s) does not.
    const { rungs, state } = simulate(rate, 300, () => 16_000);
    const last = kbps(rungs.slice(-600)); // the last minute
    // Most of the time at 96; brief failed probes at 160.
    expect(last.filter((k) => k === 96).length).toBeGreaterThan(0.9 * last.length);
    expect(rate.counters.failedProbes).toBeGreaterThanOrEqual(2);
    expect(rate.upHoldMs).toBeGreaterThanOrEqual(32_000);
    // Each failed probe is called off within half a second (its buffer passed 50 ms).
    const stints: number[] = [];
    for (const [i, r] of rungs.entries()) {
      if (r !== 1) continue;
      if (rungs[i - 1] === 1) stints.push((stints.pop() ?? 0) + 1);
      else stints.push(1);
    }
    expect(stints.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...stints.slice(1))).toBeLessThanOrEqual(5);
    // Not a flap every few seconds: in the last 3 minutes, at most 3 probes (6 changes).
    expect(changes(rungs.slice(-1800))).toBeLessThanOrEqual(6);
    // Probes cost little: what was dropped is a small share of the frames.
    expect(state.dropped).toBeLessThan(0.01 * state.frames);
  });

  it('does not probe up through silence: a quiet stream says nothing about the path', () => {
    const rate = new RateControl(LADDER, START, HEADER);
    // The silence before the first track, for 30 s, on a path that carries 96 kbit/s but not 160.
    const { rungs, state } = simulate(rate, 30, () => 16_000, { quiet: () => true });
    expect(new Set(rungs)).toEqual(new Set([START]));
    // The music starts: down within a second, before the buffer fills, to what fits in 3/4 of the
    // path (64; it probes 96 later).
    const music = simulate(rate, 2, () => 16_000, { state });
    expect(kbps([rate.rung])[0]).toBe(64);
    expect(music.rungs.findIndex((r) => r > START)).toBeLessThanOrEqual(10);
    expect(state.dropped).toBe(0);
    // On a clean path it probes up as usual once the stream carries: the hold (8 s) after the rate
    // over the last second passed half the rung's (0.5 s into the music).
    const open = new RateControl(LADDER, START, HEADER);
    const quietStart = simulate(open, 20, () => 1e6, { quiet: () => true });
    expect(new Set(quietStart.rungs)).toEqual(new Set([START]));
    const loud = simulate(open, 10, () => 1e6, { state: quietStart.state });
    expect(loud.rungs.indexOf(0)).toBeGreaterThanOrEqual(80);
    expect(loud.rungs.indexOf(0)).toBeLessThanOrEqual(86);
  });

  it('comes back up when the path recovers', () => {
    const rate = new RateControl(LADDER, START, HEADER);
    const cut = simulate(rate, 20, (t) => (t < 5000 ? 1e6 : 8_000));
    expect(kbps([rate.rung])[0]).toBeLessThanOrEqual(64);
    const { rungs } = simulate(rate, 60, () => 1e6, { state: cut.state });
    expect(kbps(rungs).at(-1)).toBe(256);
  });

  it('keeps its rung through an outage (a path that carries nothing is down, not narrow)', () => {
    const rate = new RateControl(LADDER, START, HEADER);
    simulate(rate, 5, () => 1e6);
    // Ten seconds of nothing: the buffer fills and frames are dropped within 0.4 s (the host holds
    // only the room delay's worth), before the listener's silence says it is an outage; then the
    // path is back, and flushes what waited from a restarted congestion window (slowly, for a second).
    const { rungs } = simulate(rate, 15, (t) => (t < 15_000 ? 0 : t < 16_000 ? 15_000 : 1e6), {
      backlog: 8000,
    });
    expect(new Set(rungs)).toEqual(new Set([START]));
    expect(rate.counters.downs).toBe(0);
  });

  it('steps down on a path so congested that it carries nothing for a while, while the listener is still heard', () => {
    const rate = new RateControl(LADDER, START, HEADER);
    simulate(rate, 5, () => 1e6);
    // SCTP waiting out retransmission timeouts: nothing drains for 2 s at a time, yet the listener's
    // probes still come in (the other direction is fine).
    const state = simulate(rate, 0, () => 1e6).state;
    let t = state.t;
    for (const end = t + 20_000; t < end; t += 100) {
      const carried = Math.floor((t - 5000) / 2000) % 2 === 0 ? 0 : 14_000;
      simulate(rate, 0.1, () => carried, { state });
      state.silentMs = 0;
    }
    expect(rate.counters.downs).toBeGreaterThanOrEqual(1);
    expect(rate.rung).toBeGreaterThan(START);
  });

  it('steps down at once when frames had to be dropped', () => {
    const rate = new RateControl(LADDER, START, HEADER);
    simulate(rate, 2, () => 1e6);
    expect(
      rate.update({ now: 2100, buffered: 0, sent: 50_000, dropped: 3, frames: 200, nacked: 0, silentMs: 0 }),
    ).toBe(START + 1);
  });

  it('probes up half as often while the listener is losing frames', () => {
    const lossy = new RateControl(LADDER, START, HEADER);
    const { rungs } = simulate(lossy, 30, () => 1e6, { loss: 0.1 });
    const clean = new RateControl(LADDER, START, HEADER);
    const { rungs: cleanRungs } = simulate(clean, 30, () => 1e6, { loss: 0.02 });
    // 8 s hold on a path losing 2 %, 16 s on one losing 10 % (100 ms samples).
    expect(Math.abs(cleanRungs.indexOf(0) - 80)).toBeLessThanOrEqual(1);
    expect(Math.abs(rungs.indexOf(0) - 160)).toBeLessThanOrEqual(1);
  });

  it('never leaves the ladder', () => {
    const rate = new RateControl(LADDER, START, HEADER);
    // 2 KB/s: narrower than the lowest rung (6 KB/s), yet not dead.
    const { rungs } = simulate(rate, 60, () => 2000);
    expect(Math.max(...rungs)).toBe(LADDER.length - 1);
    expect(Math.min(...rungs)).toBeGreaterThanOrEqual(0);
    expect(new RateControl(LADDER, 99, HEADER).rung).toBe(LADDER.length - 1);
  });
});
