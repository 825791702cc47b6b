import type { Page } from '@playwright/test';

/**
 * The app's test hooks (`window.__jamsesh`, src/client/media/testHooks.ts), as the benchmark uses
 * them. Declared again here because the Node type check does not compile the browser app.
 */
export interface PlayoutStats {
  framesReceived: number;
  framesLate: number;
  underrunMs: number;
  concealEvents: number;
  hardResyncs: number;
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
  outputClock: { ready: boolean; steps: number; scatterMs: number } | null;
}

export interface SourceClick {
  outMs: number;
  renderLeadMs: number;
}

export interface LinkBytes {
  peerId: string;
  transportBytesSent: number;
  dataChannelBytesSent: number;
}

interface Hooks {
  startProbe(): Promise<boolean>;
  clicks(): number[];
  startSourceProbe(): Promise<boolean>;
  sourceClicks(): SourceClick[];
  inSyncAt(): number | null;
  linkStats(): Promise<LinkBytes[]>;
  now(): number;
  snapshot(): Snapshot;
}

type W = { __jamsesh: Hooks };

export const hooks = (page: Page) => ({
  startProbe: () => page.evaluate(() => (window as unknown as W).__jamsesh.startProbe()),
  clicks: () => page.evaluate(() => (window as unknown as W).__jamsesh.clicks()),
  startSourceProbe: () => page.evaluate(() => (window as unknown as W).__jamsesh.startSourceProbe()),
  sourceClicks: () => page.evaluate(() => (window as unknown as W).__jamsesh.sourceClicks()),
  inSyncAt: () => page.evaluate(() => (window as unknown as W).__jamsesh.inSyncAt()),
  linkStats: () => page.evaluate(() => (window as unknown as W).__jamsesh.linkStats()),
  now: () => page.evaluate(() => (window as unknown as W).__jamsesh.now()),
  snapshot: () => page.evaluate(() => (window as unknown as W).__jamsesh.snapshot()),
});
