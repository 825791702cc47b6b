import type { AudioSession } from './AudioSession.js';
import { localNow } from './Player.js';

/**
 * A small read-only window into the audio engine for the end-to-end tests and the benchmark
 * (`window.__jamsesh`): they measure where every listener's clicks leave its output, on the clock
 * that all pages of one machine share. Nothing here changes what the app does.
 */
export interface TestHooks {
  /** Starts detecting clicks at this device's output; returns when the detector runs. */
  startProbe(): Promise<boolean>;
  /** Local times (ms, performance.timeOrigin + now) at which clicks left this device's output. */
  clicks(): number[];
  now(): number;
  snapshot(): Record<string, unknown>;
}

export function installTestHooks(audio: AudioSession): void {
  const clicks: number[] = [];
  let probing: Promise<boolean> | null = null;
  const hooks: TestHooks = {
    startProbe() {
      probing ??= (async () => {
        for (let i = 0; i < 100 && !audio.player; i++) await new Promise((r) => setTimeout(r, 100));
        const player = audio.player;
        if (!player) return false;
        await player.attachProbe((t) => clicks.push(t));
        return true;
      })();
      return probing;
    },
    clicks: () => [...clicks],
    now: localNow,
    snapshot() {
      const player = audio.player;
      const est = audio.listener?.clock.estimate() ?? null;
      return {
        state: audio.state,
        playout: player?.stats ?? null,
        outputClock: player
          ? {
              ready: player.outputClock.ready,
              steps: player.outputClock.steps,
              scatterMs: player.outputClock.scatterMs,
            }
          : null,
        renderLeadMs: player?.renderLeadMs() ?? null,
        clock: est,
        needMs: audio.listener?.needMs() ?? null,
        links: audio.host ? [...audio.host.links.keys()] : null,
        host: audio.host
          ? { ...audio.host.counters, linkDrops: [...audio.host.links.values()].map((l) => l.audioDropped) }
          : null,
        listener: audio.listener
          ? { decodeErrors: audio.listener.decodeErrors, badFrames: audio.listener.badFrames }
          : null,
      };
    },
  };
  (window as unknown as { __jamsesh: TestHooks }).__jamsesh = hooks;
}
