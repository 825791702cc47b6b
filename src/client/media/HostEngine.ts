import type { SignalPayload } from '../../protocol/index.js';
import {
  type HostControl,
  type NowPlaying,
  parseListenerControl,
  type SyncMode,
  type SyncStatus,
} from '../../protocol/media.js';
import { DelayPolicy } from '../../sync/DelayPolicy.js';
import { TypedEmitter } from '../net/TypedEmitter.js';
import type { DecoderKind } from './decoderChoice.js';
import { MediaWorker } from './MediaWorker.js';
import { type IceOptions, PeerLink } from './PeerLink.js';
import { localNow, type Player } from './Player.js';
import type { Source } from './Sources.js';
import { type DeviceOutput, syncStatus } from './syncStatus.js';
import { emptyHostCounters, type HostCounters, type LinkRate } from './worker/messages.js';
import type { CaptureIn } from './worklets/capture.worklet.js';

export interface HostEvents {
  syncTable: Record<string, SyncStatus>;
  session: { delayMs: number; mode: SyncMode };
  nowPlaying: NowPlaying;
  links: Record<string, RTCPeerConnectionState>;
}

const TICK_MS = 1000;
/** A link not open this long after it was made (a lost offer, a failed ICE) is made anew. */
const LINK_OPEN_TIMEOUT_MS = 10_000;
/** New late frames in one report (a second) that make the room delay go up... */
const LATE_FRAMES_PER_REPORT = 3;
/**
 * ...if they missed by less than this on average (Live mode): a near miss says D is a little short;
 * frames that missed by more were held up by an outage (a stalled device, a Wi-Fi hiccup) that a
 * Live delay should not grow to cover: those are concealed. Party mode covers them too.
 */
const LIVE_NEAR_MISS_MS = 40;
/** A listener report older than this no longer counts towards the room delay. */
const REPORT_STALE_MS = 5000;
/** A listener may ask for a new connection (it changed how it connects) at most this often. */
const RECONNECT_EVERY_MS = 5000;

/**
 * The host's side of the media, on the page: the source, the peer connections and their control
 * channels, the room delay D (picked from everyone's needs) and the sync table. The media worker
 * (worker/HostMedia.ts) does the rest off the main thread: one capture, one Opus encode, one send
 * per listener; clock answers with the host's clock, the room's reference; and this device's own
 * playout of the same stream through the same decode as every listener.
 */
export class HostEngine extends TypedEmitter<HostEvents> {
  readonly links = new Map<string, PeerLink>();
  readonly #linkBorn = new Map<PeerLink, number>();
  readonly policy = new DelayPolicy({ mode: 'live' });
  readonly #capture: AudioWorkletNode;
  readonly #worker = new MediaWorker();
  #streamId = 0;
  #ownNeedMs = 0;
  #source: Source | null = null;
  #nowPlaying: NowPlaying = { source: 'none', at: 0, playing: false };
  readonly #reports = new Map<string, { status: SyncStatus; needMs: number; at: number; newLate: boolean }>();
  #tick: ReturnType<typeof setInterval>;
  #closed = false;
  #table: Record<string, SyncStatus> = {};
  /** What the worker did (diagnostics): frames captured, encoded, dropped before the output clock was known. */
  counters: HostCounters = emptyHostCounters();
  /** Frames dropped per listener because its channel was backed up. */
  drops: Record<string, number> = {};
  /** Each listener's rung on the bitrate ladder. */
  rates: Record<string, LinkRate> = {};
  /** The Opus decoder the worker says it runs for this device's own playout (null until it reports). */
  decoderInUse: DecoderKind | null = null;
  /** The rung this device's own playout decodes (kbit/s). */
  #ownKbps = 0;
  #closedLinkRestarts = 0;
  #device: DeviceOutput = { offsetMs: 0, calibration: 'none' };

  /** When each listener last asked for a new connection (at most one per RECONNECT_EVERY_MS). */
  readonly #reconnectedAt = new Map<string, number>();

  constructor(
    readonly player: Player,
    readonly selfId: string,
    /** How links connect (read at each new link, so they use the latest TURN credentials). */
    readonly ice: () => IceOptions,
    readonly sendSignal: (to: string, payload: SignalPayload) => void,
    /** The Opus decoder this device's media worker runs (decoderChoice.ts). */
    decoder: DecoderKind,
  ) {
    super();
    const playout = player.connect(this.#worker);
    this.#worker.post({ type: 'init', role: 'host', sampleRate: player.ctx.sampleRate, playout, decoder }, [
      playout,
    ]);
    this.#worker.post({ type: 'delay', delayMs: this.policy.delayMs, mode: this.policy.mode });
    this.#worker.on('state', (m) => {
      if (m.type !== 'host') return;
      this.counters = {
        ...m.counters,
        maxSendLagMs: Math.max(m.counters.maxSendLagMs, this.counters.maxSendLagMs),
      };
      this.drops = m.drops;
      this.rates = m.rates;
      for (const [peerId, silent] of Object.entries(m.silentMs)) this.links.get(peerId)?.heardFrom(silent);
      this.#ownKbps = m.ownKbps;
      this.#streamId = m.streamId;
      this.#ownNeedMs = m.needMs;
      this.decoderInUse = m.decoder;
    });
    this.#capture = new AudioWorkletNode(player.ctx, 'jamsesh-capture', {
      numberOfInputs: 1,
      numberOfOutputs: 0,
      channelCount: 2,
      channelCountMode: 'explicit',
    });
    const { port1, port2 } = new MessageChannel();
    this.#capture.port.postMessage({ type: 'port', port: port1 } satisfies CaptureIn, [port1]);
    this.#worker.post({ type: 'capture', port: port2 }, [port2]);
    this.#tick = setInterval(() => this.#onTick(), TICK_MS);
  }

  get source(): Source | null {
    return this.#source;
  }

  get delayMs(): number {
    return this.policy.delayMs;
  }

  get mode(): SyncMode {
    return this.policy.mode;
  }

  /** ICE restarts so far, on every link this host has had (diagnostics). */
  get iceRestarts(): number {
    let n = this.#closedLinkRestarts;
    for (const link of this.links.values()) n += link.iceRestarts;
    return n;
  }

  /** The last sync table: every member's status, the host's own included. */
  syncTable(): Record<string, SyncStatus> {
    return this.#table;
  }

  /** Plays `source` to the room, replacing the current one; the stream and everyone's sync go on. */
  setSource(source: Source | null): void {
    const previous = this.#source;
    this.#source = source;
    if (previous && previous !== source) previous.stop();
    if (source) {
      source.node.connect(this.#capture);
      source.onEnded = () => {
        if (this.#source === source) this.setSource(null);
      };
    }
    this.setNowPlaying({
      source: source?.kind ?? 'none',
      title: source?.title,
      at: localNow(),
      playing: Boolean(source),
    });
  }

  setNowPlaying(nowPlaying: NowPlaying): void {
    this.#nowPlaying = nowPlaying;
    this.emit('nowPlaying', nowPlaying);
    this.#broadcast({ type: 'now-playing', nowPlaying });
  }

  /** Whether the host device itself plays the room's stream (off e.g. for a microphone). */
  setLocalPlayback(enabled: boolean): void {
    this.#worker.post({ type: 'local-playback', enabled });
  }

  /** This device's output offset (ms; + plays later) and its calibration, for the room to see. */
  setOffset(offsetMs: number, calibration: DeviceOutput['calibration'] = this.#device.calibration): void {
    this.#worker.post({ type: 'offset', offsetMs });
    this.#device = { offsetMs, calibration };
  }

  /** Sends one listener a control message; false if its link is not open. */
  sendTo(peerId: string, m: HostControl): boolean {
    const link = this.links.get(peerId);
    if (!link?.isOpen) return false;
    link.sendControl(JSON.stringify(m));
    return true;
  }

  /** The longest capture-to-send time since the last call (ms; diagnostics). */
  takeMaxSendLag(): number {
    const m = this.counters.maxSendLagMs;
    this.counters = { ...this.counters, maxSendLagMs: 0, decodeMax: 0 };
    return m;
  }

  setMode(mode: SyncMode): void {
    this.policy.setMode(mode, this.#needs());
    this.#applyDelay();
  }

  addListener(peerId: string): void {
    if (this.#closed || peerId === this.selfId) return;
    this.links.get(peerId)?.close();
    const link = new PeerLink(
      peerId,
      'host',
      () => this.ice(),
      (p) => this.sendSignal(peerId, p),
      (audio, clock) => this.#worker.handOver(peerId, audio, clock),
    );
    this.links.set(peerId, link);
    this.#linkBorn.set(link, localNow());
    link.on('open', () => {
      link.sendControl(this.#sessionMessage());
      link.sendControl(
        JSON.stringify({ type: 'now-playing', nowPlaying: this.#nowPlaying } satisfies HostControl),
      );
    });
    link.on('control', (text) => {
      const parsed = parseListenerControl(text);
      if (parsed.ok && parsed.value.type === 'reconnect') {
        const now = localNow();
        if (now - (this.#reconnectedAt.get(peerId) ?? Number.NEGATIVE_INFINITY) >= RECONNECT_EVERY_MS) {
          this.#reconnectedAt.set(peerId, now);
          // Not from inside this link's own message handler: addListener closes the link.
          queueMicrotask(() => this.addListener(peerId));
        }
      }
      if (parsed.ok && parsed.value.type === 'report') {
        const previous = this.#reports.get(peerId);
        const status = parsed.value.status;
        // Late frames are counted from the start; only a run of new ones says the delay is too short
        // now (one late frame after an OS stall is not worth a higher delay for everyone).
        const nearMiss = this.policy.mode === 'party' || (parsed.value.lateByMs ?? 0) <= LIVE_NEAR_MISS_MS;
        const newLate =
          previous !== undefined &&
          status.lateFrames - previous.status.lateFrames >= LATE_FRAMES_PER_REPORT &&
          nearMiss;
        this.#reports.set(peerId, { status, needMs: parsed.value.needMs, at: localNow(), newLate });
      }
    });
    link.on('state', () => this.#emitLinks());
    link.on('closed', () => {
      this.#linkBorn.delete(link);
      this.#closedLinkRestarts += link.iceRestarts;
      if (this.links.get(peerId) === link) {
        this.links.delete(peerId);
        this.#worker.post({ type: 'unwire', peerId });
        this.#emitLinks();
      }
    });
    this.#emitLinks();
  }

  /** The ICE settings changed (relay only, or not): every listener gets a new connection with them. */
  applyIce(): void {
    for (const peerId of [...this.links.keys()]) this.addListener(peerId);
  }

  /** Fresh ICE servers (TURN credentials): every link's next ICE restart uses them. */
  refreshIceServers(): void {
    for (const link of this.links.values()) link.refreshIceServers();
  }

  removeListener(peerId: string): void {
    this.links.get(peerId)?.close();
    this.links.delete(peerId);
    this.#worker.post({ type: 'unwire', peerId });
    this.#reports.delete(peerId);
    this.#reconnectedAt.delete(peerId);
    this.#emitLinks();
  }

  handleSignal(from: string, payload: SignalPayload): void {
    void this.links.get(from)?.handleSignal(payload);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#tick);
    this.#source?.stop();
    for (const link of this.links.values()) link.close();
    this.links.clear();
    this.#capture.disconnect();
    this.player.disconnect();
    this.#worker.close();
    this.removeAllListeners();
  }

  #needs(): number[] {
    const now = localNow();
    const needs = [this.#ownNeed()];
    for (const [peerId, r] of this.#reports) {
      if (now - r.at > REPORT_STALE_MS || !this.links.has(peerId)) continue;
      needs.push(r.needMs);
    }
    return needs;
  }

  /** The host's own device: encode, decode and hand-over time, and its render lead (from the worker). */
  #ownNeed(): number {
    return this.#ownNeedMs;
  }

  #onTick(): void {
    for (const [peerId, link] of this.links) {
      const born = this.#linkBorn.get(link) ?? 0;
      if (!link.isOpen && localNow() - born > LINK_OPEN_TIMEOUT_MS) this.addListener(peerId);
    }
    const before = this.policy.delayMs;
    let late = false;
    for (const r of this.#reports.values()) {
      late ||= r.newLate;
      r.newLate = false;
    }
    this.policy.update(localNow(), this.#needs(), late);
    if (this.policy.delayMs !== before) this.#applyDelay();
    const table: Record<string, SyncStatus> = {};
    for (const [peerId, r] of this.#reports) {
      if (!this.links.has(peerId)) continue;
      // The rung is the host's to say: it picks it (the report's is the last frame's, a second old).
      const kbps = this.rates[peerId]?.kbps ?? r.status.kbps;
      table[peerId] = { ...r.status, ...(kbps ? { kbps } : {}) };
    }
    table[this.selfId] = syncStatus(
      this.player.stats,
      this.policy.delayMs,
      { uncertainty: 0, rtt: 0, ready: true },
      this.#ownKbps,
      this.#device,
    );
    this.#table = table;
    this.emit('syncTable', table);
    this.#broadcast({ type: 'sync-table', entries: table });
  }

  #applyDelay(): void {
    this.#worker.post({ type: 'delay', delayMs: this.policy.delayMs, mode: this.policy.mode });
    this.emit('session', { delayMs: this.policy.delayMs, mode: this.policy.mode });
    const text = this.#sessionMessage();
    for (const link of this.links.values()) link.sendControl(text);
  }

  #sessionMessage(): string {
    const m: HostControl = {
      type: 'session',
      delayMs: this.policy.delayMs,
      mode: this.policy.mode,
      streamId: this.#streamId,
    };
    return JSON.stringify(m);
  }

  #broadcast(m: HostControl): void {
    const text = JSON.stringify(m);
    for (const link of this.links.values()) link.sendControl(text);
  }

  #emitLinks(): void {
    const states: Record<string, RTCPeerConnectionState> = {};
    for (const [id, l] of this.links) states[id] = l.pc.connectionState;
    this.emit('links', states);
  }
}
