import type { Browser } from '@playwright/test';
import type { ImpairmentConfig } from '../src/netem/Impairment.js';
import { UdpRelay } from '../src/netem/UdpRelay.js';
import { routeThroughRelay } from '../tests/support/impair.js';
import { closePeers, hostRoom, joinRoom, newPeer, type Peer } from './browser.js';
import { hooks } from './hooks.js';
import { type Summary, summarize } from './stats.js';
import { sleep, until } from './wait.js';

const CLICK_PERIOD_MS = 500;

/** The network section's paths between the host and the impaired listener (both directions). */
export const NETWORK_CONDITIONS = {
  clean: { label: 'clean (through the relay)', path: {} },
  loss2: {
    label: '2% loss + 30 ms jitter',
    // 30 +- 30 ms each way, moving as a queue's delay does (src/netem/Impairment.ts).
    path: { delayMs: 30, jitterMs: 30, loss: 0.02 },
  },
  loss10: { label: '10% loss', path: { delayMs: 10, jitterMs: 5, loss: 0.1 } },
  reorder: {
    label: '2% loss, 30 ms jitter as netem (reordering)',
    path: { delayMs: 30, jitterMs: 30, loss: 0.02, reorder: 1 },
  },
  cap500: { label: '500 kbps cap', path: { rateKbps: 500, queueMs: 200 } },
} satisfies Record<string, { label: string; path: ImpairmentConfig }>;
export type NetworkCondition = keyof typeof NETWORK_CONDITIONS;

export interface NetworkRun {
  condition: NetworkCondition;
  mode: 'live' | 'party';
  seconds: number;
  settleMs: number;
  browser: Browser;
  /** A JamSesh server that hands out credentials for the coturn at `turnPort`. */
  baseURL: string;
  turnPort: number;
  log: (line: string) => void;
}

export interface NetworkResult {
  condition: string;
  mode: 'live' | 'party';
  seconds: number;
  /** The impaired listener, over the measured window. */
  underrunsPerMin: number;
  concealedMs: number;
  clicksHeard: number;
  clicksExpected: number;
  /** |impaired - clean| per click (ms). */
  skewToClean: Summary;
  /** Room delay D at the end (ms): the latency every listener plays at. */
  delayMs: number;
  /** What the host sent the impaired listener over the window, data channel payload (kbit/s). */
  sentKbps: number;
  /** The impaired listener's rung on the bitrate ladder at the end (Opus kbit/s), and its moves over the whole run. */
  chosenKbps: number;
  rateMoves: { downs: number; ups: number; failedProbes: number };
  /** Frames the host resent (for everyone) per frame it encoded, over the window. */
  resentShare: number;
  recovery: Record<string, number> | null;
  relayLoss: { up: number; down: number };
}

async function join(peer: Peer, code: string): Promise<void> {
  await joinRoom(peer.page, peer.name, code);
  if (!(await hooks(peer.page).startProbe())) throw new Error(`${peer.name}: audio did not start`);
}

/**
 * Host + a clean listener + a listener behind the impairment relay (in front of coturn), with the
 * click track: after settling, the impaired listener's underruns and its skew to the clean one.
 */
export async function runNetwork(run: NetworkRun): Promise<NetworkResult> {
  const { label, path } = NETWORK_CONDITIONS[run.condition];
  const relay = await UdpRelay.start({
    target: { host: '127.0.0.1', port: run.turnPort },
    up: path,
    down: path,
  });
  const peers: Peer[] = [];
  try {
    const host = await newPeer(run.browser, 'Host', run.baseURL);
    peers.push(host);
    const code = await hostRoom(host.page, 'Host');
    if (run.mode === 'party') await host.page.getByTestId('mode-party').click();
    const impaired = await newPeer(run.browser, 'Impaired', run.baseURL);
    peers.push(impaired);
    await routeThroughRelay(impaired.page, run.turnPort, relay.port);
    await join(impaired, code);
    const clean = await newPeer(run.browser, 'Clean', run.baseURL);
    peers.push(clean);
    await join(clean, code);
    await host.page.getByTestId('source-test').click();
    const inSync = await until(
      async () =>
        Object.values((await hooks(host.page).snapshot()).state.syncTable).filter((s) => s.inSync).length >=
        3,
      60_000,
      null,
    );
    run.log(`${label}: ${inSync ? 'everyone in sync' : 'not everyone in sync after 60 s'}; settling`);
    await sleep(run.settleMs);

    const snap = async () => ({
      host: await hooks(host.page).snapshot(),
      impaired: await hooks(impaired.page).snapshot(),
      links: await hooks(host.page).linkStats(),
    });
    const before = await snap();
    const from = await hooks(host.page).now();
    await sleep(run.seconds * 1000);
    const to = from + run.seconds * 1000;
    const after = await snap();
    const [a, b] = await Promise.all(
      [impaired, clean].map(async (p) => (await hooks(p.page).clicks()).filter((t) => t >= from && t < to)),
    );
    const skews: number[] = [];
    for (const t of a ?? []) {
      const near = (b ?? []).find((x) => Math.abs(x - t) < CLICK_PERIOD_MS / 2);
      if (near !== undefined) skews.push(Math.abs(t - near));
    }
    const pa = after.impaired.playout;
    const pb = before.impaired.playout;
    const minutes = run.seconds / 60;
    // The impaired listener joined first: its link is the host's first.
    const link = (i: typeof after.links) => i[0]?.dataChannelBytesSent ?? 0;
    const hostAfter = after.host.host;
    const hostBefore = before.host.host;
    const encoded = (hostAfter?.encoded ?? 0) - (hostBefore?.encoded ?? 0);
    const resent = (hostAfter?.resent ?? 0) - (hostBefore?.resent ?? 0);
    return {
      condition: label,
      mode: run.mode,
      seconds: run.seconds,
      underrunsPerMin: ((pa?.concealEvents ?? 0) - (pb?.concealEvents ?? 0)) / minutes,
      concealedMs: (pa?.underrunMs ?? 0) - (pb?.underrunMs ?? 0),
      clicksHeard: a?.length ?? 0,
      clicksExpected: Math.round((run.seconds * 1000) / CLICK_PERIOD_MS),
      skewToClean: summarize(skews),
      delayMs: after.host.state.session?.delayMs ?? Number.NaN,
      sentKbps: ((link(after.links) - link(before.links)) * 8) / run.seconds / 1000,
      chosenKbps: hostAfter?.linkRates[0]?.kbps ?? Number.NaN,
      rateMoves: {
        downs: hostAfter?.linkRates[0]?.downs ?? 0,
        ups: hostAfter?.linkRates[0]?.ups ?? 0,
        failedProbes: hostAfter?.linkRates[0]?.failedProbes ?? 0,
      },
      resentShare: encoded > 0 ? resent / encoded : 0,
      recovery: (after.impaired.listener as { recovery?: Record<string, number> } | null)?.recovery ?? null,
      relayLoss: { up: relay.counters.up.lost, down: relay.counters.down.lost },
    };
  } finally {
    await closePeers(peers);
    await relay.close();
  }
}

/** The network section of the report. */
export function networkTable(results: readonly NetworkResult[]): string[] {
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  const lines = [
    'Network section: host + a clean listener + one behind the impairment relay in front of coturn',
    '(relay only), click track; figures are the impaired listener over the measured window.',
    '',
    '| path | mode | underruns/min | concealed | clicks heard | skew to clean: median / p95 / max | room delay (latency) | chosen bitrate (moves down / up) | sent to it | resent | recovery (missing / recovered / given up) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const rec = r.recovery;
    lines.push(
      `| ${r.condition} | ${r.mode} | ${f(r.underrunsPerMin)} | ${f(r.concealedMs, 0)} ms | ${r.clicksHeard} of ${r.clicksExpected} | ${f(r.skewToClean.median, 2)} / ${f(r.skewToClean.p95, 2)} / ${f(r.skewToClean.max, 2)} ms | ${f(r.delayMs, 0)} ms | ${f(r.chosenKbps, 0)} kbit/s (${r.rateMoves.downs} / ${r.rateMoves.ups}) | ${f(r.sentKbps, 0)} kbit/s | ${f(100 * r.resentShare)} % | ${rec ? `${rec.missing} / ${rec.recovered} / ${rec.skipped}` : '-'} |`,
    );
  }
  lines.push(
    '',
    'Chosen bitrate: the Opus rung the host gives the impaired listener at the end (ladder 256/160/96/64/32, starting at',
    '160; RateControl moves it from the channel\'s send buffer, drops and NACKs). "Sent to it" is data channel payload:',
    'Opus, 20-byte frame headers and resends; on the wire SCTP, DTLS, UDP and TURN add ~90 bytes per 10 ms frame.',
  );
  return lines;
}
