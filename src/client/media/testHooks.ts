import type { AudioSession } from './AudioSession.js';
import { compareDecodes, decodePrepared, prepareDecodeTest } from './testDecoders.js';
import type { IceRoute, LinkBytes, SourceClick, TestHooks } from './testHooksApi.js';
import { attachProbe } from './testProbe.js';
import { simulateSpeakerDelay } from './testSpeakerDelay.js';
import { localNow } from './worker/clock.js';

/** Polls `get` every 100 ms for up to 10 s. */
async function waitFor<T>(get: () => T | null | undefined): Promise<T | null> {
  for (let i = 0; i < 100; i++) {
    const v = get();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  return get() ?? null;
}

/** Where startProbe() is, for a test whose call never returns (`window.__probeStage`). */
function probeStage(stage: string): void {
  const w = window as unknown as { __probeStage?: string[] };
  w.__probeStage ??= [];
  w.__probeStage.push(`${localNow().toFixed(0)} ${stage}`);
}

/**
 * `window.__jamsesh` (testHooksApi.ts) for the E2E tests and the benchmark. Only the test build
 * (`vite build --mode test`, dist/client-test) loads this module (main.tsx).
 */
export function installTestHooks(audio: AudioSession): void {
  const clicks: number[] = [];
  const sourceClicks: SourceClick[] = [];
  let probing: Promise<boolean> | null = null;
  let sourceProbing: Promise<boolean> | null = null;
  const milestones: Record<string, number> = {};
  const mark = (name: string, reached: boolean) => {
    if (reached && milestones[name] === undefined) milestones[name] = localNow();
  };
  // The steps towards playing are polled every 20 ms from when audio starts until they are all
  // passed (at most 30 s): the app itself pays for nothing before, or after.
  let poll: ReturnType<typeof setInterval> | null = null;
  const steps = () => {
    const player = audio.player;
    mark('player', Boolean(player?.running));
    mark('outputClock', Boolean(player?.outputClock.ready));
    mark('link', audio.state.link === 'connected');
    mark('clock', Boolean(audio.listener?.clock));
    mark('playing', Boolean(player?.stats?.playing));
    const wanted =
      audio.state.role === 'host' ? ['player', 'outputClock', 'playing'] : ['link', 'clock', 'playing'];
    return wanted.every((name) => milestones[name] !== undefined);
  };
  audio.on('change', (state) => {
    mark('inSync', Boolean(state.own?.inSync));
    if (poll !== null || state.phase === 'off') return;
    const until = localNow() + 30_000;
    poll = setInterval(() => {
      if ((steps() || localNow() > until) && poll !== null) clearInterval(poll);
    }, 20);
  });
  const hooks: TestHooks = {
    startProbe() {
      probing ??= (async () => {
        probeStage('waiting for the player');
        const player = await waitFor(() => audio.player);
        if (!player) return false;
        probeStage(`adding the probe (context ${player.ctx.state})`);
        await attachProbe(player, player.gain, (t) => clicks.push(t));
        probeStage('attached');
        return true;
      })();
      return probing;
    },
    clicks: () => [...clicks],
    async useOutputDevice(label: string) {
      const player = await waitFor(() => audio.player);
      const device = (await navigator.mediaDevices.enumerateDevices()).find(
        (d) => d.kind === 'audiooutput' && d.label === label,
      );
      if (!player || !device) return false;
      await (player.ctx as AudioContext & { setSinkId(id: string): Promise<void> }).setSinkId(
        device.deviceId,
      );
      return true;
    },
    async simulateSpeakerDelay(ms: number) {
      const player = await waitFor(() => audio.player);
      if (player) simulateSpeakerDelay(player, ms);
      return Boolean(player);
    },
    async suspendOutput() {
      await audio.player?.ctx.suspend();
    },
    startSourceProbe() {
      sourceProbing ??= (async () => {
        const source = await waitFor(() => audio.host?.source);
        const player = audio.player;
        if (!source || !player) return false;
        await attachProbe(player, source.node, (outMs) =>
          sourceClicks.push({ outMs, renderLeadMs: player.renderLeadMs() }),
        );
        return true;
      })();
      return sourceProbing;
    },
    sourceClicks: () => sourceClicks.map((c) => ({ ...c })),
    inSyncAt: () => milestones.inSync ?? null,
    milestones: () => ({ ...milestones }),
    async linkStats() {
      const links = [...(audio.host?.links ?? new Map()).entries()];
      return Promise.all(
        links.map(async ([peerId, link]) => {
          const out: LinkBytes = { peerId, transportBytesSent: 0, dataChannelBytesSent: 0 };
          const report = await link.pc.getStats();
          report.forEach((s: { type: string; bytesSent?: number }) => {
            if (s.type === 'transport') out.transportBytesSent += s.bytesSent ?? 0;
            if (s.type === 'data-channel') out.dataChannelBytesSent += s.bytesSent ?? 0;
          });
          return out;
        }),
      );
    },
    async routes() {
      const pcs = audio.host
        ? [...audio.host.links.values()].map((l) => l.pc)
        : [audio.listener?.peerConnection].filter((pc) => pc !== null && pc !== undefined);
      const routes: IceRoute[] = [];
      for (const pc of pcs) {
        const stats = new Map<string, Record<string, unknown>>();
        (await pc.getStats()).forEach((s: Record<string, unknown>) => {
          stats.set(s.id as string, s);
        });
        for (const t of stats.values()) {
          if (t.type !== 'transport' || typeof t.selectedCandidatePairId !== 'string') continue;
          const pair = stats.get(t.selectedCandidatePairId);
          const local = stats.get(pair?.localCandidateId as string);
          const remote = stats.get(pair?.remoteCandidateId as string);
          if (!local || !remote) continue;
          routes.push({
            localType: String(local.candidateType),
            remoteType: String(remote.candidateType),
            localAddress: `${String(local.address)}:${String(local.port)}`,
          });
        }
      }
      return routes;
    },
    now: localNow,
    prepareDecodeTest,
    decodePrepared,
    compareDecodes,
    snapshot() {
      const player = audio.player;
      const est = audio.listener?.clock ?? null;
      return {
        state: audio.state,
        playout: player?.stats ?? null,
        outputClock: player
          ? {
              ready: player.outputClock.ready,
              source: player.outputSource,
              steps: player.outputClock.steps,
              ignored: player.outputClock.ignored,
              scatterMs: player.outputClock.scatterMs,
              readings: player.outputReadings.kind,
            }
          : null,
        renderLeadMs: player?.renderLeadMs() ?? null,
        context: player
          ? { baseLatencyMs: player.ctx.baseLatency * 1000, outputLatencyMs: player.ctx.outputLatency * 1000 }
          : null,
        clock: est,
        needMs: audio.listener?.needMs() ?? null,
        links: audio.host ? [...audio.host.links.keys()] : null,
        host: audio.host
          ? {
              ...audio.host.counters,
              linkDrops: Object.values(audio.host.drops),
              linkRates: Object.values(audio.host.rates),
              iceRestarts: audio.host.iceRestarts,
              decoder: audio.host.decoderInUse,
            }
          : null,
        listener: audio.listener
          ? {
              decodeErrors: audio.listener.decodeErrors,
              badFrames: audio.listener.badFrames,
              maxAgeMs: audio.listener.takeMaxAge(),
              ageP50: audio.listener.ageP50,
              decodeMax: audio.listener.takeMaxDecode(),
              recovery: audio.listener.recovery,
              decodeOdd: audio.listener.decodeOdd,
              scheduleJumps: audio.listener.scheduleJumps,
              decoder: audio.listener.decoderInUse,
            }
          : null,
      };
    },
  };
  (window as unknown as { __jamsesh: TestHooks }).__jamsesh = hooks;
}
