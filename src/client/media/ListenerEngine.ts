import type { IceServer, SignalPayload } from '../../protocol/index.js';
import {
  decodeAudioFrame,
  decodeClockMessage,
  encodeClockProbe,
  type HostControl,
  type ListenerControl,
  type NowPlaying,
  parseHostControl,
  type SyncMode,
  type SyncStatus,
} from '../../protocol/media.js';
import { ClockSync } from '../../sync/ClockSync.js';
import { TypedEmitter } from '../net/TypedEmitter.js';
import { FrameDecoder } from './FrameDecoder.js';
import { PeerLink } from './PeerLink.js';
import { localNow, type Player } from './Player.js';
import { Receiver } from './Receiver.js';
import { Percentile } from './stats.js';

export interface ListenerEvents {
  status: SyncStatus;
  nowPlaying: NowPlaying;
  syncTable: Record<string, SyncStatus>;
  session: { delayMs: number; mode: SyncMode };
  link: RTCPeerConnectionState | 'none';
}

/** Decoding needs a little time after a frame arrives; budget it in the delay this device asks for. */
const DECODE_MARGIN_MS = 5;
const REPORT_EVERY_MS = 1000;

/**
 * A listener's side of the media: answers the host's connection, keeps the host's clock (ClockSync
 * over the `clock` channel), decodes the Opus frames and hands them to the Receiver, and reports
 * how it is doing so the host can pick the room delay.
 */
export class ListenerEngine extends TypedEmitter<ListenerEvents> {
  readonly clock = new ClockSync();
  readonly receiver: Receiver;
  #link: PeerLink | null = null;
  readonly #decoder: FrameDecoder;
  /** Frame age at arrival over the last 5 s: recent enough that a passing stall is soon forgotten. */
  readonly #age = new Percentile(500);
  #probeTimer: ReturnType<typeof setTimeout> | null = null;
  #reportTimer: ReturnType<typeof setInterval>;
  #framesBad = 0;
  #mode: SyncMode = 'live';
  #closed = false;
  #received = 0;
  #lastSeq = new Map<number, number>();
  #lost = 0;

  constructor(
    readonly player: Player,
    readonly hostId: string,
    readonly iceServers: IceServer[],
    readonly sendSignal: (to: string, payload: SignalPayload) => void,
  ) {
    super();
    this.receiver = new Receiver(
      player,
      (local) => (this.clock.ready ? this.clock.toHost(local) : null),
      250,
    );
    this.#decoder = new FrameDecoder((...args) => this.receiver.push(...args));
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

  get decodeErrors(): number {
    return this.#decoder.errors;
  }

  get badFrames(): number {
    return this.#framesBad;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#reportTimer);
    if (this.#probeTimer) clearTimeout(this.#probeTimer);
    this.#link?.close();
    this.#decoder.close();
    this.receiver.close();
    this.removeAllListeners();
  }

  #newLink(linkId: string): void {
    this.#link?.close();
    const link = new PeerLink(
      this.hostId,
      'listener',
      this.iceServers,
      (p) => this.sendSignal(this.hostId, p),
      linkId,
    );
    this.#link = link;
    link.on('state', (s) => this.emit('link', s));
    link.on('open', () => {
      this.clock.reset();
      this.#probe();
    });
    link.on('clock', (data) => {
      const t3 = localNow();
      const m = decodeClockMessage(data);
      if (m.ok && m.value.kind === 'reply')
        this.clock.add({ t0: m.value.t0, t1: m.value.t1, t2: m.value.t2, t3 });
    });
    link.on('audio', (data) => this.#onAudio(data));
    link.on('control', (text) => this.#onControl(text));
  }

  #probe(): void {
    if (this.#closed) return;
    this.#link?.sendClock(encodeClockProbe(localNow()));
    this.#probeTimer = setTimeout(() => this.#probe(), this.clock.nextProbeDelayMs());
  }

  #onAudio(data: ArrayBuffer): void {
    const parsed = decodeAudioFrame(data);
    if (!parsed.ok) {
      this.#framesBad++;
      return;
    }
    const f = parsed.value;
    this.#received++;
    const last = this.#lastSeq.get(f.streamId);
    if (last !== undefined && f.seq > last + 1) this.#lost += f.seq - last - 1;
    if (last === undefined || f.seq > last) this.#lastSeq.set(f.streamId, f.seq);
    if (this.clock.ready) this.#age.add(this.clock.toHost(localNow()) - f.t);
    this.#decoder.decode(f);
  }

  #onControl(text: string): void {
    const parsed = parseHostControl(text);
    if (!parsed.ok) {
      this.#framesBad++;
      return;
    }
    const m: HostControl = parsed.value;
    if (m.type === 'session') {
      this.#mode = m.mode;
      this.receiver.setDelay(m.delayMs);
      this.emit('session', { delayMs: m.delayMs, mode: m.mode });
    } else if (m.type === 'now-playing') {
      this.emit('nowPlaying', m.nowPlaying);
    } else if (m.type === 'sync-table') {
      this.emit('syncTable', m.entries);
    }
  }

  /** The delay this device needs: how old frames are when they arrive, plus render lead, plus decoding. */
  needMs(): number {
    const age = this.#age.quantile(this.#mode === 'live' ? 0.99 : 0.999);
    return (
      (Number.isFinite(age) ? Math.max(0, age) : 0) +
      Math.max(0, this.player.renderLeadMs()) +
      DECODE_MARGIN_MS
    );
  }

  status(): SyncStatus {
    const est = this.clock.estimate();
    return this.receiver.status(
      est && { uncertainty: est.uncertainty, rtt: est.rtt, ready: this.clock.ready },
    );
  }

  #report(): void {
    const status = this.status();
    this.emit('status', status);
    const total = this.#received + this.#lost;
    const report: ListenerControl = {
      type: 'report',
      status,
      jitterMs: finiteOr(this.#age.quantile(0.99) - this.#age.quantile(0.5), -1),
      lossRate: total > 0 ? this.#lost / total : 0,
      needMs: this.needMs(),
    };
    this.#link?.sendControl(JSON.stringify(report));
  }
}

function finiteOr(x: number, fallback: number): number {
  return Number.isFinite(x) ? x : fallback;
}
