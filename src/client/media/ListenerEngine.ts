import type { SignalPayload } from '../../protocol/index.js';
import {
  type HostControl,
  type ListenerControl,
  type NowPlaying,
  parseHostControl,
  type SyncMode,
  type SyncStatus,
} from '../../protocol/media.js';
import type { ClockEstimate } from '../../sync/ClockSync.js';
import type { FrameOrderCounters } from '../../sync/FrameOrder.js';
import { TypedEmitter } from '../net/TypedEmitter.js';
import type { DecoderKind } from './decoderChoice.js';
import { MediaWorker } from './MediaWorker.js';
import { type IceOptions, PeerLink } from './PeerLink.js';
import type { Player } from './Player.js';
import { type DeviceOutput, syncStatus } from './syncStatus.js';
import type { FromWorker, ScheduleJumps } from './worker/messages.js';

export interface ListenerEvents {
  status: SyncStatus;
  nowPlaying: NowPlaying;
  syncTable: Record<string, SyncStatus>;
  session: { delayMs: number; mode: SyncMode };
  link: RTCPeerConnectionState | 'none';
  /** Calibration: play the signal so that it leaves the speaker at host-clock time `atMs`. */
  chirp: { atMs: number };
  /** Calibration: this device's outcome (its new offset when heard). */
  calibrated: { heard: boolean; offsetMs?: number };
}

const REPORT_EVERY_MS = 1000;

type ListenerState = Extract<FromWorker, { type: 'listener' }>;

/**
 * A listener's side of the media, on the page: answers the host's connection, follows the host's
 * control messages (room delay, now playing, sync table) and reports how this device is doing so
 * the host can pick the room delay. The media worker (worker/ListenerMedia.ts) keeps the host's
 * clock, decodes the frames and feeds the playout, off the main thread.
 */
export class ListenerEngine extends TypedEmitter<ListenerEvents> {
  #link: PeerLink | null = null;
  readonly #worker = new MediaWorker();
  #reportTimer: ReturnType<typeof setInterval>;
  #controlBad = 0;
  #delayMs = 250;
  #closed = false;
  /** The worker's latest state (clock, needs, counters). */
  #state: ListenerState | null = null;
  #maxAge = 0;
  #lastLate = { frames: 0, ms: 0 };
  #maxDecode = 0;
  #device: DeviceOutput = { offsetMs: 0, calibration: 'none' };

  constructor(
    readonly player: Player,
    readonly hostId: string,
    /** How links connect (read at each new link, so they use the latest TURN credentials). */
    readonly ice: () => IceOptions,
    readonly sendSignal: (to: string, payload: SignalPayload) => void,
    /** The Opus decoder this device's media worker runs (decoderChoice.ts). */
    decoder: DecoderKind,
  ) {
    super();
    const playout = player.connect(this.#worker);
    this.#worker.post(
      { type: 'init', role: 'listener', sampleRate: player.ctx.sampleRate, playout, decoder },
      [playout],
    );
    this.#worker.on('state', (m) => {
      if (m.type !== 'listener') return;
      this.#state = m;
      this.#maxAge = Math.max(this.#maxAge, m.maxAgeMs);
      this.#maxDecode = Math.max(this.#maxDecode, m.decodeMax ?? 0);
    });
    this.#reportTimer = setInterval(() => this.#report(), REPORT_EVERY_MS);
  }

  /**
   * Signaling from the host. A payload naming another link than ours means the host opened a new
   * connection (it reloaded, or gave up on the old one): start over with it.
   */
  handleSignal(from: string, payload: SignalPayload): void {
    if (from !== this.hostId || this.#closed) return;
    const linkId = payload.link ?? 'default';
    if (!this.#link || this.#link.linkId !== linkId) {
      if (payload.kind !== 'description' || payload.description.type !== 'offer') return;
      this.#newLink(linkId);
    }
    void this.#link?.handleSignal(payload);
  }

  /** The connection to the host, if any (tests read its route). */
  get peerConnection(): RTCPeerConnection | null {
    return this.#link?.pc ?? null;
  }

  /** The host's clock as this device knows it (null until the first exchanges). */
  get clock(): ClockEstimate | null {
    return this.#state?.clock ?? null;
  }

  get decodeErrors(): number {
    return this.#state?.decodeErrors ?? 0;
  }

  /** Media frames and control messages that did not parse. */
  get badFrames(): number {
    return (this.#state?.badFrames ?? 0) + this.#controlBad;
  }

  /** The delay this device needs: how old frames are when they arrive, plus render lead, plus decoding. */
  needMs(): number {
    return this.#state?.needMs ?? 0;
  }

  /** Decoder outputs of an unexpected length or timestamp (diagnostics). */
  get decodeOdd(): number {
    return this.#state?.decodeOdd ?? 0;
  }

  /** The Opus decoder the worker says it runs (null until its first report). */
  get decoderInUse(): DecoderKind | null {
    return this.#state?.decoder ?? null;
  }

  get scheduleJumps(): ScheduleJumps | null {
    return this.#state?.scheduleJumps ?? null;
  }

  /** Loss recovery so far: frames missing, recovered, given up, NACKs sent (null before the first report). */
  get recovery(): FrameOrderCounters | null {
    return this.#state?.recovery ?? null;
  }

  /** Median frame age at arrival over the last 5 s (ms; diagnostics). */
  get ageP50(): number {
    return this.#state?.ageP50 ?? Number.NaN;
  }

  /** The longest decode since the last call (ms; diagnostics). */
  takeMaxDecode(): number {
    const m = this.#maxDecode;
    this.#maxDecode = 0;
    return m;
  }

  /** The oldest frame at arrival since the last call (ms; diagnostics). */
  takeMaxAge(): number {
    const m = this.#maxAge;
    this.#maxAge = 0;
    return m;
  }

  /** This device's output offset (ms; + plays later) and its calibration, for the room to see. */
  setOffset(offsetMs: number, calibration: DeviceOutput['calibration'] = this.#device.calibration): void {
    this.#worker.post({ type: 'offset', offsetMs });
    this.#device = { offsetMs, calibration };
  }

  /**
   * Local time (ms) of host-clock time `hostMs`, from the clock sync (null before the host's clock
   * is known).
   */
  localTimeOf(hostMs: number): number | null {
    const est = this.#state?.clock;
    if (!est) return null;
    // host = local + offset + drift * (local - at), solved for local.
    return (hostMs - est.offset + est.drift * est.at) / (1 + est.drift);
  }

  /** The ICE settings changed (relay only, or not): the host is asked for a new connection. */
  applyIce(): void {
    this.#link?.sendControl(JSON.stringify({ type: 'reconnect' } satisfies ListenerControl));
  }

  /** Fresh ICE servers (TURN credentials): the link's next ICE restart uses them. */
  refreshIceServers(): void {
    this.#link?.refreshIceServers();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#reportTimer);
    this.#link?.close();
    this.player.disconnect();
    this.#worker.close();
    this.removeAllListeners();
  }

  status(): SyncStatus {
    const est = this.#state?.clock ?? null;
    return syncStatus(
      this.player.stats,
      this.#delayMs,
      est && { uncertainty: est.uncertainty, rtt: est.rtt, ready: this.#state?.clockReady ?? false },
      this.#state?.kbps,
      this.#device,
    );
  }

  #newLink(linkId: string): void {
    this.#link?.close();
    const link = new PeerLink(
      this.hostId,
      'listener',
      () => this.ice(),
      (p) => this.sendSignal(this.hostId, p),
      (audio, clock) => this.#worker.handOver(this.hostId, audio, clock),
      linkId,
    );
    this.#link = link;
    link.on('state', (s) => this.emit('link', s));
    link.on('control', (text) => this.#onControl(text));
  }

  #onControl(text: string): void {
    const parsed = parseHostControl(text);
    if (!parsed.ok) {
      this.#controlBad++;
      return;
    }
    const m: HostControl = parsed.value;
    if (m.type === 'session') {
      this.#delayMs = m.delayMs;
      this.#worker.post({ type: 'delay', delayMs: m.delayMs, mode: m.mode });
      this.emit('session', { delayMs: m.delayMs, mode: m.mode });
    } else if (m.type === 'now-playing') {
      this.emit('nowPlaying', m.nowPlaying);
    } else if (m.type === 'sync-table') {
      this.emit('syncTable', m.entries);
    } else if (m.type === 'chirp') {
      this.emit('chirp', { atMs: m.atMs });
    } else if (m.type === 'calibrated') {
      this.emit('calibrated', {
        heard: m.heard,
        ...(m.offsetMs !== undefined ? { offsetMs: m.offsetMs } : {}),
      });
    }
  }

  #report(): void {
    const status = this.status();
    const stats = this.player.stats;
    const late = (stats?.framesLate ?? 0) - this.#lastLate.frames;
    const lateByMs = late > 0 ? ((stats?.lateMsTotal ?? 0) - this.#lastLate.ms) / late : 0;
    this.#lastLate = { frames: stats?.framesLate ?? 0, ms: stats?.lateMsTotal ?? 0 };
    this.emit('status', status);
    const s = this.#state;
    const report: ListenerControl = {
      type: 'report',
      status,
      jitterMs: s?.jitterMs ?? -1,
      lossRate: s?.lossRate ?? 0,
      needMs: this.needMs(),
      lateByMs,
    };
    this.#link?.sendControl(JSON.stringify(report));
  }
}
