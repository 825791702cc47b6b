import { describe, expect, it } from 'vitest';
import { FrameOrder } from './FrameOrder.js';

const noDeadline = () => null;
/** Every frame may wait until `at`. */
const until = (at: number) => () => at;

describe('FrameOrder: frames to the decoder in order, losses asked for again in time', () => {
  it('passes frames that come in order straight through', () => {
    const o = new FrameOrder<string>();
    expect(o.push(10, 'a', 0)).toEqual(['a']);
    expect(o.push(11, 'b', 10)).toEqual(['b']);
    expect(o.held).toBe(0);
  });

  it('holds a frame that comes early until the one before it arrives', () => {
    const o = new FrameOrder<string>();
    o.push(0, 'a', 0);
    expect(o.push(2, 'c', 1)).toEqual([]);
    expect(o.held).toBe(1);
    expect(o.push(1, 'b', 2)).toEqual(['b', 'c']);
    expect(o.counters).toMatchObject({ missing: 1, recovered: 1, skipped: 0 });
  });

  it('asks for a missing frame after a short grace, again after a round trip or so, while a resend can make it', () => {
    const o = new FrameOrder<string>({ graceMs: 5, retryMs: 20, maxNacks: 3 });
    o.push(0, 'a', 0);
    o.push(2, 'c', 100);
    const deadline = until(1000);
    expect(o.poll(103, deadline, 2).nack).toEqual([]); // could still be reordering
    expect(o.poll(105, deadline, 2).nack).toEqual([1]);
    expect(o.poll(115, deadline, 2).nack).toEqual([]); // asked 10 ms ago
    expect(o.poll(125, deadline, 2).nack).toEqual([1]);
    // A long round trip spaces the requests out more (1.5 x rtt).
    expect(o.poll(145, deadline, 40).nack).toEqual([]);
    expect(o.poll(185, deadline, 40).nack).toEqual([1]);
    expect(o.poll(300, deadline, 2).nack).toEqual([]); // three asked: enough
    expect(o.counters.nacks).toBe(3);
  });

  it('asks again only once a resend is overdue: after how long resends have taken on this path', () => {
    const o = new FrameOrder<string>({ graceMs: 5, retryMs: 20 });
    const deadline = until(10_000);
    o.push(0, 'f0', 0);
    // Ten losses, each resent 50 ms after its NACK (a jittery path and a busy host).
    let now = 0;
    for (let k = 0; k < 10; k++) {
      const lost = 1 + 2 * k;
      o.push(lost + 1, 'next', now);
      now += 5;
      expect(o.poll(now, deadline, 2).nack).toEqual([lost]);
      now += 50;
      o.push(lost, 'resent', now, true);
    }
    expect(o.turnaroundMs).toBe(50);
    // A new loss: asked for once, and not again before 1.2 x 50 ms (it was 20 ms before).
    o.push(22, 'x', now);
    expect(o.poll(now + 5, deadline, 2).nack).toEqual([21]);
    expect(o.poll(now + 35, deadline, 2).nack).toEqual([]);
    expect(o.poll(now + 64, deadline, 2).nack).toEqual([]);
    expect(o.poll(now + 66, deadline, 2).nack).toEqual([21]);
  });

  it('waits longer before asking on a path that reorders, as long as reordered frames come late', () => {
    const o = new FrameOrder<number>({ graceMs: 5, maxGraceMs: 100 });
    // Every other frame comes 30 ms late by itself: that is reordering, not loss.
    let seq = 0;
    for (let i = 0; i < 100; i++, seq += 2) {
      o.push(seq + 1, seq + 1, i * 20);
      o.push(seq, seq, i * 20 + 30);
    }
    expect(o.graceMs).toBeCloseTo(30, 6);
    o.push(seq + 1, seq + 1, 5000);
    expect(o.poll(5010, until(9000), 2).nack).toEqual([]);
    expect(o.poll(5030, until(9000), 2).nack).toEqual([seq]);
    // Resent frames say nothing about reordering; the grace never passes its bound.
    const capped = new FrameOrder<number>({ graceMs: 5, maxGraceMs: 50 });
    for (let i = 0, s = 0; i < 100; i++, s += 2) {
      capped.push(s + 1, s + 1, i * 1000);
      capped.push(s, s, i * 1000 + 500);
    }
    expect(capped.graceMs).toBe(50);
  });

  it('does not ask when the answer could not arrive before the deadline', () => {
    const o = new FrameOrder<string>();
    o.push(0, 'a', 0);
    o.push(2, 'c', 0);
    expect(o.poll(10, until(15), 10).nack).toEqual([]);
    expect(o.poll(10, until(25), 10).nack).toEqual([1]);
  });

  it('gives up on a missing frame at its deadline and releases what waited behind it', () => {
    const o = new FrameOrder<string>();
    o.push(0, 'a', 0);
    o.push(2, 'c', 0);
    o.push(3, 'd', 0);
    expect(o.poll(49, until(50), 1).ready).toEqual([]);
    expect(o.poll(50, until(50), 1).ready).toEqual(['c', 'd']);
    expect(o.counters.skipped).toBe(1);
    // Too late now: dropped, not decoded out of order.
    expect(o.push(1, 'b', 60)).toEqual([]);
    expect(o.counters.dropped).toBe(1);
  });

  it('waits for nothing while deadlines are unknown (no clock yet)', () => {
    const o = new FrameOrder<string>();
    o.push(0, 'a', 0);
    o.push(3, 'd', 0);
    expect(o.poll(1, noDeadline, 1)).toEqual({ ready: ['d'], nack: [] });
    expect(o.counters.skipped).toBe(2);
  });

  it('drops duplicates (a resend that crossed the original)', () => {
    const o = new FrameOrder<string>();
    o.push(0, 'a', 0);
    o.push(2, 'c', 0);
    expect(o.push(2, 'c', 1)).toEqual([]);
    expect(o.push(0, 'a', 1)).toEqual([]);
    expect(o.counters.dropped).toBe(2);
  });

  it('takes a big jump ahead for a new start, not thousands of losses', () => {
    const o = new FrameOrder<string>({ maxGap: 100 });
    o.push(0, 'a', 0);
    o.push(2, 'c', 0);
    expect(o.push(5000, 'z', 1)).toEqual(['c', 'z']);
    expect(o.counters.missing).toBe(1);
    expect(o.push(5001, 'y', 2)).toEqual(['y']);
  });

  it('refuses nonsense sequence numbers', () => {
    const o = new FrameOrder<string>();
    expect(o.push(-1, 'x', 0)).toEqual([]);
    expect(o.push(1.5, 'x', 0)).toEqual([]);
    expect(o.counters.dropped).toBe(2);
  });

  it('recovers every loss of a lossy, jittery path when resends arrive in time', () => {
    // 2000 frames every 10 ms, 5% lost, +-15 ms jitter; a resend takes one 10 ms round trip and is
    // itself lost 5% of the time; each frame may wait 200 ms.
    let seed = 9;
    const rand = () => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const o = new FrameOrder<number>();
    const deadlineOf = (seq: number) => seq * 10 + 200;
    const arrivals: { at: number; seq: number }[] = [];
    for (let seq = 0; seq < 2000; seq++) {
      if (rand() >= 0.05) arrivals.push({ at: seq * 10 + 15 + (rand() * 2 - 1) * 15, seq });
    }
    const out: number[] = [];
    for (let now = 0; now < 20_500; now++) {
      arrivals.sort((a, b) => a.at - b.at);
      while (arrivals.length > 0 && (arrivals[0] as { at: number }).at <= now) {
        const a = arrivals.shift() as { at: number; seq: number };
        out.push(...o.push(a.seq, a.seq, now));
      }
      const { ready, nack } = o.poll(now, deadlineOf, 10);
      out.push(...ready);
      for (const seq of nack) if (rand() >= 0.05) arrivals.push({ at: now + 10, seq });
    }
    expect(out).toEqual([...Array(2000).keys()]);
    expect(o.counters.skipped).toBe(0);
    expect(o.counters.missing).toBeGreaterThan(100);
  });
});
