import type { Browser, Page } from '@playwright/test';
import {
  type BaselineClick,
  type BaselineOptions,
  type BaselinePageApi,
  type HostStats,
  installBaseline,
  type ListenerStats,
} from './baselinePage.js';
import { closePeers, MainThreadCpu, measureWindow, newPeer, type Peer, rendererOf } from './browser.js';
import type { Glitches, RunResult } from './result.js';
import { estimateLatency, followLatency, median, spreadOfGroups, summarize } from './stats.js';
import { sleep, until } from './wait.js';

export interface BaselineRun {
  /** receiver.jitterBufferTarget on every listener, or null for the browser's default. */
  jitterBufferTargetMs: number | null;
  listeners: number;
  seconds: number;
  settleMs: number;
  browser: Browser;
  browserPid: number | null;
  baseURL: string;
  log: (line: string) => void;
}

type W = { __bench: BaselinePageApi };
const bench = (page: Page) => ({
  now: () => page.evaluate(() => (window as unknown as W).__bench.now()),
  clicks: () => page.evaluate(() => (window as unknown as W).__bench.clicks()),
  start: () => page.evaluate(() => (window as unknown as W).__bench.start()),
  offer: (id: string) => page.evaluate((i) => (window as unknown as W).__bench.offer(i), id),
  accept: (id: string, sdp: string) =>
    page.evaluate(([i, s]) => (window as unknown as W).__bench.accept(i, s), [id, sdp] as const),
  answer: (sdp: string) => page.evaluate((s) => (window as unknown as W).__bench.answer(s), sdp),
  hostStats: () => page.evaluate(() => (window as unknown as W).__bench.hostStats()),
  listenerStats: () => page.evaluate(() => (window as unknown as W).__bench.listenerStats()),
});

/**
 * How typical apps do it: the host page sends the click track as a WebRTC Opus audio track to each
 * listener, which plays it as it arrives. Same browser, same pages at the app's origin (CSP
 * bypassed for the benchmark's own worklet), same probes and the same figures as JamSesh; the bench
 * script carries the offers and answers itself (no server involved).
 */
export async function runBaseline(run: BaselineRun): Promise<RunResult> {
  const peers: Peer[] = [];
  const notes: string[] = [];
  const jbt = run.jitterBufferTargetMs;
  try {
    const open = async (name: string, options: BaselineOptions) => {
      const peer = await newPeer(run.browser, name, run.baseURL, { bypassCSP: true });
      peers.push(peer);
      await peer.page.goto('/');
      await peer.page.evaluate(installBaseline, options);
      return peer;
    };
    const host = await open('Host', { role: 'host', jitterBufferTargetMs: null, seed: 0x5eed });
    const hostPid = await rendererOf(host.page, run.browserPid);
    if (hostPid === null) notes.push('host renderer pid not identified: no process CPU figure');
    const main = await MainThreadCpu.of(host.page);
    const listeners: Peer[] = [];
    for (let i = 1; i <= run.listeners; i++) {
      const l = await open(`Listener ${i}`, { role: 'listener', jitterBufferTargetMs: jbt, seed: 0 });
      listeners.push(l);
      const id = `l${i}`;
      const offer = await bench(host.page).offer(id);
      const answer = await bench(l.page).answer(offer);
      await bench(host.page).accept(id, answer);
    }
    // `ontrack` fires even when no media flows, in Chromium: wait for packets.
    for (const l of listeners) {
      await until(
        async () => ((await bench(l.page).listenerStats())?.packetsReceived ?? 0) > 0,
        20_000,
        `${l.name} receiving RTP`,
      );
    }
    await bench(host.page).start();
    run.log(
      `host renderer pid ${hostPid ?? '?'}; ${listeners.length} listeners receiving; click track started`,
    );

    await sleep(run.settleMs);
    const {
      from,
      before: [host0, ls0],
      after: [host1, ls1],
      processPct,
      mainPct,
      wallSec,
    } = await measureWindow({
      hostPid,
      main,
      seconds: run.seconds,
      log: run.log,
      hostNow: () => bench(host.page).now(),
      read: () =>
        Promise.all([
          bench(host.page).hostStats(),
          Promise.all(listeners.map((l) => bench(l.page).listenerStats())),
        ]),
    });
    const to = from + run.seconds * 1000;
    await sleep(500);

    const source = await bench(host.page).clicks();
    const lead = median(source.map((c) => c.renderLeadMs));
    const produced = source.map((c) => c.outMs - lead);
    const heard = await Promise.all(
      listeners.map(async (l) => (await bench(l.page).clicks()).map((c: BaselineClick) => c.outMs)),
    );
    const inWindow = heard.map((c) => c.filter((t) => t >= from && t < to));

    const latencies: number[] = [];
    const latencyByListener: number[] = [];
    const bySource: Map<number, number>[] = [];
    for (const [i, clicks] of inWindow.entries()) {
      // The latency is found from this listener's first clicks in the window (irregular intervals make
      // only the true one line many clicks up), then followed click by click.
      const guess = estimateLatency(produced, clicks, { toleranceMs: 5, useClicks: 12, maxMs: 3000 });
      if (!guess || guess.votes < 6) {
        notes.push(
          `listener ${i + 1}: could not tell which source click its clicks are (${guess?.votes ?? 0} votes)`,
        );
        bySource.push(new Map());
        latencyByListener.push(Number.NaN);
        continue;
      }
      const matched = followLatency(produced, clicks, guess.latencyMs, 100);
      latencies.push(...matched.map((m) => m.latencyMs));
      latencyByListener.push(median(matched.map((m) => m.latencyMs)));
      bySource.push(new Map(matched.map((m) => [m.source, m.outMs])));
    }
    const skew = spreadOfGroups(bySource);

    const glitches: Glitches[] = listeners.map((l, i) =>
      rtpGlitches(l.name, ls0[i], ls1[i], run.seconds * 1000),
    );
    const kbps = (pick: (s: HostStats) => number) =>
      host1.map((s) => {
        const before = host0.find((x) => x.id === s.id);
        return before ? ((pick(s) - pick(before)) * 8) / wallSec / 1000 : Number.NaN;
      });
    for (const [i, s] of ls1.entries()) {
      const a = ls0[i];
      if (!s || !a) continue;
      const jb =
        ((s.jitterBufferDelay - a.jitterBufferDelay) /
          (s.jitterBufferEmittedCount - a.jitterBufferEmittedCount || 1)) *
        1000;
      notes.push(
        `listener ${i + 1}: mean jitter buffer delay ${jb.toFixed(0)} ms (target ${s.jitterBufferTarget ?? 'default'})`,
      );
    }
    return {
      label: `WebRTC audio track, jitterBufferTarget ${jbt === null ? 'default' : `${jbt} ms`}`,
      column: `WebRTC ${jbt === null ? 'default' : `JBT ${jbt}`}`,
      kind: 'webrtc',
      mode: null,
      listeners: run.listeners,
      seconds: run.seconds,
      skew: summarize(skew),
      hostDeviceSkew: null,
      latency: summarize(latencies),
      latencyByListener,
      delayMs: jbt,
      hostRenderLeadMs: Number.isFinite(lead) ? lead : null,
      join: null,
      glitches,
      hostCpu: { processPct, mainThreadPct: mainPct?.taskPct ?? null },
      uploadKbps: kbps((s) => s.transportBytesSent),
      payloadKbps: kbps((s) => s.rtpBytesSent),
      clicksPerListener: inWindow.map((c) => c.length),
      notes,
      raw: { from, to, clicks: inWindow, produced, delays: [] },
    };
  } finally {
    await closePeers(peers);
  }
}

/** Concealment in the window: the share of concealed samples times the window, and its events. */
function rtpGlitches(
  name: string,
  a: ListenerStats | null | undefined,
  b: ListenerStats | null | undefined,
  windowMs: number,
): Glitches {
  if (!a || !b)
    return {
      name,
      concealedMs: Number.NaN,
      concealEvents: Number.NaN,
      lateFrames: Number.NaN,
      hardResyncs: 0,
    };
  const total = b.totalSamplesReceived - a.totalSamplesReceived;
  return {
    name,
    concealedMs: total > 0 ? ((b.concealedSamples - a.concealedSamples) / total) * windowMs : Number.NaN,
    concealEvents: b.concealmentEvents - a.concealmentEvents,
    lateFrames: b.packetsLost - a.packetsLost,
    hardResyncs: 0,
  };
}
