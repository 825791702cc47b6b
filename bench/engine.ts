import type { Browser, Page } from '@playwright/test';
import {
  closePeers,
  hostRoom,
  joinRoom,
  MainThreadCpu,
  measureWindow,
  newPeer,
  type Peer,
  rendererOf,
  roomCode,
} from './browser.js';
import { hooks, type LinkBytes, type Snapshot } from './hooks.js';
import type { Glitches, JoinResult, RunResult } from './result.js';
import { firstInStep, matchExpected, median, spreadByPeriod, summarize } from './stats.js';
import { sleep, until } from './wait.js';

/** The app's click track plays a click every 500 ms (src/client/media/Sources.ts). */
const CLICK_PERIOD_MS = 500;
/** How long the late joiner may take to be in step before the run goes on without that figure. */
const JOIN_TIMEOUT_MS = 30_000;
const IN_SYNC_TIMEOUT_MS = 45_000;

export interface EngineRun {
  mode: 'live' | 'party';
  latency: 'interactive' | 'playback';
  listeners: number;
  seconds: number;
  settleMs: number;
  browser: Browser;
  browserPid: number | null;
  baseURL: string;
  log: (line: string) => void;
  /** Log every device's state once a second while settling and measuring. */
  verbose: boolean;
}

/**
 * JamSesh itself, driven through its UI as a person would: a host plays the click track, N - 1
 * listeners join before, one listener joins while it plays (the join-to-sync figure); after
 * settling, every device's clicks are recorded at its audio destination for the measured window.
 */
export async function runEngine(run: EngineRun): Promise<RunResult> {
  const peers: Peer[] = [];
  const notes: string[] = [];
  let trace: Trace | null = null;
  const query = run.latency === 'playback' ? '?latency=playback' : '';
  const label = `JamSesh ${run.mode === 'live' ? 'Live' : 'Party'}${run.latency === 'playback' ? ' (latency=playback)' : ''}`;
  try {
    // The host makes the room.
    const host = await newPeer(run.browser, 'Host', run.baseURL);
    peers.push(host);
    const code = await hostRoom(host.page, 'Host');
    if (query) {
      // The app drops the query when it moves to /join/CODE after "Host a Jam", before its audio
      // starts; reloading the room's own address with it keeps it (the host resumes its place).
      await host.page.goto(`/join/${code}${query}`);
      if ((await roomCode(host.page)) !== code) throw new Error('host did not resume its room');
    }
    const hostHooks = hooks(host.page);
    if (!(await hostHooks.startProbe())) throw new Error('host audio did not start');
    if (run.mode === 'party') {
      await host.page.getByTestId('mode-party').click();
      await until(
        async () => (await hostHooks.snapshot()).state.session?.mode === 'party',
        10_000,
        'party mode',
      );
    }
    const hostPid = await rendererOf(host.page, run.browserPid);
    // Opened now, not at the window's start, so that the measuring itself does not stir the host then.
    const main = await MainThreadCpu.of(host.page);
    if (hostPid === null) notes.push('host renderer pid not identified: no process CPU figure');
    run.log(`room ${code}; host renderer pid ${hostPid ?? '?'}`);

    // Listeners that are there before the music starts.
    const early: Peer[] = [];
    for (let i = 1; i < run.listeners; i++) {
      const l = await newPeer(run.browser, `Listener ${i}`, run.baseURL);
      peers.push(l);
      early.push(l);
      await joinRoom(l.page, l.name, code, query);
      if (!(await hooks(l.page).startProbe())) throw new Error(`listener ${i} audio did not start`);
    }
    run.log(`${early.length} listener(s) joined`);

    await host.page.getByTestId('source-test').click();
    for (const l of early) {
      await until(
        async () => (await hooks(l.page).snapshot()).state.nowPlaying?.source === 'test',
        20_000,
        `${l.name} sees the click track`,
      );
    }
    if (!(await hostHooks.startSourceProbe())) throw new Error('no source to probe on the host');
    // Every device's state once a second from here on (the late joiner added when it comes).
    const traced = [host, ...early];
    trace = startTrace(traced, run.verbose ? run.log : null);
    const allInSync = await until(
      async () => {
        const table = (await hostHooks.snapshot()).state.syncTable;
        return Object.values(table).filter((s) => s.inSync).length >= early.length + 1;
      },
      IN_SYNC_TIMEOUT_MS,
      null,
    );
    if (!allInSync)
      notes.push(`not every early member reported in sync within ${IN_SYNC_TIMEOUT_MS / 1000} s`);
    run.log('click track playing; early members in sync');

    // The late joiner: joins while the click track plays.
    const late = await newPeer(run.browser, `Listener ${run.listeners}`, run.baseURL);
    peers.push(late);
    const listeners = [...early, late];
    traced.push(late);
    await late.page.goto(`/join/${code}${query}`);
    await late.page.getByTestId('name-input').fill(late.name);
    await late.page.getByTestId('code-input').fill(code);
    const joinAt = await late.page.evaluate(() => {
      const button = document.querySelector<HTMLButtonElement>('[data-testid=join-button]');
      const t = (window as unknown as { __jamsesh: { now(): number } }).__jamsesh.now();
      button?.click();
      return button ? t : null;
    });
    if (joinAt === null) throw new Error('no join button for the late joiner');
    if (!(await hooks(late.page).startProbe())) throw new Error('late joiner audio did not start');
    const join = await measureJoin(late, early.length > 0 ? early : [host], joinAt);
    if (join.firstWithin2Ms === null)
      notes.push(`late joiner not within 2 ms in ${JOIN_TIMEOUT_MS / 1000} s`);
    run.log(`late joiner: first click in step after ${fmt(join.firstWithin2Ms)} ms (${join.steps ?? ''})`);

    // Settle, then measure.
    const everyone = [host, ...listeners];
    await sleep(run.settleMs);
    const {
      from,
      before: [snap0, links0],
      after: [snap1, links1],
      processPct,
      mainPct,
      wallSec,
    } = await measureWindow({
      hostPid,
      main,
      seconds: run.seconds,
      log: run.log,
      hostNow: () => hostHooks.now(),
      read: () =>
        Promise.all([Promise.all(everyone.map((p) => hooks(p.page).snapshot())), hostHooks.linkStats()]),
    });
    const to = from + run.seconds * 1000;
    const points = await trace.stop();
    // Clicks carry the time they leave the output, up to a render lead after they are detected.
    await sleep(500);
    const clicks = await Promise.all(
      everyone.map(async (p) => (await hooks(p.page).clicks()).filter((t) => t >= from && t < to)),
    );
    const [hostClicks = [], ...listenerClicks] = clicks;
    const sourceClicks = (await hostHooks.sourceClicks()).filter(
      (c) => c.outMs >= from - 5000 && c.outMs < to,
    );

    const skew = spreadByPeriod(clicks.flat(), listenerClicks, CLICK_PERIOD_MS);
    const toHost: number[] = [];
    for (const l of listenerClicks)
      toHost.push(...spreadByPeriod(clicks.flat(), [hostClicks, l], CLICK_PERIOD_MS));

    // Latency: source production time = when the click would leave the host's speaker minus how far
    // ahead of the speaker the host renders (median over the window).
    const lead = median(sourceClicks.map((c) => c.renderLeadMs));
    const produced = sourceClicks.map((c) => c.outMs - lead);
    const delayMs = snap1[0]?.state.session?.delayMs ?? null;
    // By design a click leaves every output D after it was produced (frames are stamped with when the
    // host's audio thread produced them), D the room delay when it played (it moves): that picks
    // which source click (500 ms apart) an output click is a copy of.
    const delays = points
      .map((p) => ({ at: p.at, d: p.snapshots[0]?.state.session?.delayMs }))
      .filter((p): p is { at: number; d: number } => typeof p.d === 'number' && Number.isFinite(p.at));
    const delayAt = (t: number) => {
      let d = delays[0]?.d ?? delayMs ?? 0;
      for (const p of delays) if (p.at <= t) d = p.d;
      return d;
    };
    const latencyByListener: number[] = [];
    const latencies: number[] = [];
    for (const l of listenerClicks) {
      const m = matchExpected(produced, l, (t) => delayAt(t), CLICK_PERIOD_MS * 0.4);
      latencies.push(...m.map((x) => x.latencyMs));
      latencyByListener.push(median(m.map((x) => x.latencyMs)));
    }
    if (produced.length === 0) notes.push('no clicks at the host source: no latency figure');

    return {
      label,
      column: `${run.mode === 'live' ? 'Live' : 'Party'}${run.latency === 'playback' ? ' playback' : ''}`,
      kind: 'jamsesh',
      mode: run.mode,
      listeners: run.listeners,
      seconds: run.seconds,
      skew: summarize(skew),
      hostDeviceSkew: summarize(toHost),
      latency: summarize(latencies),
      latencyByListener,
      delayMs,
      hostRenderLeadMs: Number.isFinite(lead) ? lead : null,
      join,
      glitches: listeners.map((l, i) => glitches(l.name, snap0[i + 1], snap1[i + 1])),
      hostCpu: { processPct, mainThreadPct: mainPct?.taskPct ?? null },
      uploadKbps: listenersKbps(links0, links1, wallSec, (b) => b.transportBytesSent),
      payloadKbps: listenersKbps(links0, links1, wallSec, (b) => b.dataChannelBytesSent),
      clicksPerListener: listenerClicks.map((c) => c.length),
      notes: [
        ...notes,
        `room delay D during the window (ms): ${delaySteps(points, from, to)}`,
        ...contextNotes(snap1[0], run.latency),
        `host device: ${describeGlitches(glitches('host', snap0[0], snap1[0]))}`,
      ],
      raw: { from, to, clicks, produced, delays },
    };
  } finally {
    await trace?.stop();
    await closePeers(peers);
  }
}

/**
 * Polls the late joiner's clicks against the others' until it has stayed within 2 ms for 10
 * clicks, or JOIN_TIMEOUT_MS passes.
 */
async function measureJoin(late: Peer, others: Peer[], joinAt: number): Promise<JoinResult> {
  let result: { first: number | null; stays: number | null } = { first: null, stays: null };
  const deadline = performance.now() + JOIN_TIMEOUT_MS;
  while (performance.now() < deadline) {
    await sleep(500);
    const [mine, ...theirs] = await Promise.all(
      [late, ...others].map(async (p) => (await hooks(p.page).clicks()).filter((t) => t > joinAt - 1000)),
    );
    result = firstInStep(
      (mine ?? []).filter((t) => t > joinAt),
      theirs,
    );
    if (result.stays !== null) break;
  }
  const inSyncAt = await hooks(late.page).inSyncAt();
  const marks = await hooks(late.page).milestones();
  const steps = Object.entries(marks)
    .sort((a, b) => a[1] - b[1])
    .map(([name, at]) => `${name} +${Math.round(at - joinAt)}`);
  return {
    firstWithin2Ms: result.first === null ? null : result.first - joinAt,
    staysWithin2Ms: result.stays === null ? null : result.stays - joinAt,
    inSyncFlagMs: inSyncAt === null ? null : inSyncAt - joinAt,
    steps: steps.join(', '),
  };
}

function glitches(name: string, a: Snapshot | undefined, b: Snapshot | undefined): Glitches {
  const p0 = a?.playout;
  const p1 = b?.playout;
  if (!p0 || !p1)
    return {
      name,
      concealedMs: Number.NaN,
      concealEvents: Number.NaN,
      lateFrames: Number.NaN,
      hardResyncs: Number.NaN,
    };
  return {
    name,
    concealedMs: p1.underrunMs - p0.underrunMs,
    concealEvents: p1.concealEvents - p0.concealEvents,
    lateFrames: p1.framesLate - p0.framesLate,
    hardResyncs: p1.hardResyncs - p0.hardResyncs,
  };
}

export function describeGlitches(g: Glitches): string {
  return `${g.concealedMs.toFixed(1)} ms concealed in ${g.concealEvents} events, ${g.lateFrames} late frames, ${g.hardResyncs} hard resyncs`;
}

function listenersKbps(
  a: LinkBytes[],
  b: LinkBytes[],
  seconds: number,
  bytes: (l: LinkBytes) => number,
): number[] {
  return b.map((l) => {
    const before = a.find((x) => x.peerId === l.peerId);
    return before ? ((bytes(l) - bytes(before)) * 8) / seconds / 1000 : Number.NaN;
  });
}

function contextNotes(host: Snapshot | undefined, latency: string): string[] {
  const c = host?.context;
  if (!c) return [];
  return [
    `host AudioContext (${latency}): baseLatency ${c.baseLatencyMs.toFixed(1)} ms, outputLatency ${c.outputLatencyMs.toFixed(1)} ms`,
  ];
}

function fmt(x: number | null): string {
  return x === null ? '-' : x.toFixed(0);
}

interface TracePoint {
  at: number;
  snapshots: Snapshot[];
}

interface Trace {
  /** Stops reading (idempotent) and returns the readings. */
  stop(): Promise<TracePoint[]>;
}

/** Stops by itself after this long whatever happens, so the benchmark always ends. */
const TRACE_MAX_MS = 600_000;

/**
 * Reads every device's snapshot once a second until stopped; logs a line per reading if asked.
 * `peers` may grow meanwhile.
 */
function startTrace(peers: Peer[], log: ((line: string) => void) | null): Trace {
  const points: TracePoint[] = [];
  let running = true;
  const end = performance.now() + TRACE_MAX_MS;
  const loop = (async () => {
    while (running && performance.now() < end) {
      const at = await hooks(peers[0]?.page as Page)
        .now()
        .catch(() => Number.NaN);
      const snapshots = await Promise.all(peers.map((p) => hooks(p.page).snapshot())).catch(() => null);
      if (snapshots) {
        points.push({ at, snapshots });
        const h = snapshots[0]?.host;
        log?.(
          `D ${snapshots[0]?.state.session?.delayMs ?? '-'}${h ? ` cap ${h.captured} enc ${h.encoded} lag ${fmt1(h.sendLagP50)}/${fmt1(h.sendLagP99)}/${fmt1(h.maxSendLagMs)} own ${fmt1(h.ownAgeP50)} arr99 ${fmt1(h.arriveP99)} cc ${h.captureSteps} dec ${fmt1(h.decodeMax)} enc ${fmt1(h.encodeP50)}/${fmt1(h.encodeP99)}` : ''} | ${snapshots
            .map((s, i) => {
              const p = s.playout;
              return `${i === 0 ? 'host' : `L${i}`} err ${fmt1(p?.errorMs)} late ${p?.framesLate ?? '-'} hard ${p?.hardResyncs ?? '-'} drop ${p?.framesDropped ?? '-'} ts ${p?.targetSteps ?? '-'} under ${fmt1(p?.underrunMs)} gap ${fmt1(p?.lastGapNewestMs)} buf ${fmt1(p?.bufferedMs)} dec ${fmt1(s.listener?.decodeMax)} rx ${p?.framesReceived ?? '-'} ocs ${s.outputClock?.steps ?? '-'}/${s.outputClock?.ignored ?? '-'} need ${fmt1(s.needMs)} age ${fmt1(s.listener?.ageP50)}/${fmt1(s.listener?.maxAgeMs)} lead ${fmt1(s.renderLeadMs)}`;
            })
            .join(' | ')}`,
        );
      }
      await sleep(1000);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return points;
    },
  };
}

/** The room delay's values through the window, e.g. "250 -> 60 (at +12 s)". */
function delaySteps(points: TracePoint[], from: number, to: number): string {
  const steps: string[] = [];
  let last: number | null = null;
  for (const p of points) {
    if (!(p.at >= from - 1000 && p.at <= to + 1000)) continue;
    const d = p.snapshots[0]?.state.session?.delayMs ?? null;
    if (d === null || d === last) continue;
    steps.push(last === null ? `${d}` : `${d} (at +${((p.at - from) / 1000).toFixed(0)} s)`);
    last = d;
  }
  return steps.join(' -> ') || '-';
}

function fmt1(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(1);
}
