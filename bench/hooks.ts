import type { Page } from '@playwright/test';
import type { HostCounters, LinkRate } from '../src/client/media/worker/messages.js';
import { hooks as pageHooks } from '../tests/support/audioHooks.js';

/**
 * What the benchmark reads from the app's snapshot (`window.__jamsesh.snapshot()`, a loose record
 * on the app's side): the fields it uses, named.
 */
export interface PlayoutStats {
  framesReceived: number;
  framesLate: number;
  underrunMs: number;
  concealEvents: number;
  hardResyncs: number;
  framesDropped?: number;
  lastGapNewestMs?: number;
  targetSteps?: number;
  errorMs: number;
  bufferedMs: number;
  playing: boolean;
}

export interface SyncStatus {
  syncErrorMs: number;
  delayMs: number;
  inSync: boolean;
  lateFrames: number;
  underrunMs: number;
}

export interface Snapshot {
  state: {
    role: 'host' | 'listener' | null;
    session: { delayMs: number; mode: 'live' | 'party' } | null;
    nowPlaying: { source: string } | null;
    syncTable: Record<string, SyncStatus>;
    own: SyncStatus | null;
  };
  playout: PlayoutStats | null;
  renderLeadMs: number | null;
  /** Listener: the delay it asks the host for. */
  needMs: number | null;
  clock: { uncertainty: number; rtt: number } | null;
  context: { baseLatencyMs: number; outputLatencyMs: number } | null;
  outputClock: { ready: boolean; steps: number; ignored: number; scatterMs: number } | null;
  /** Host: the media worker's counters (cumulative) and diagnostics, and frames dropped per link. */
  host?: (HostCounters & { linkDrops: number[]; linkRates: LinkRate[] }) | null;
  listener?: { maxAgeMs: number; ageP50: number; decodeMax?: number } | null;
}

export type { LinkBytes, SourceClick } from '../src/client/media/testHooksApi.js';

/** The app's test hooks in a page, with the snapshot read as the benchmark's `Snapshot`. */
export const hooks = (page: Page) => {
  const h = pageHooks(page);
  return { ...h, snapshot: () => h.snapshot<Snapshot>() };
};
