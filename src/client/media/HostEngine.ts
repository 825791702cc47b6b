import { TokenBucket } from '../../common/TokenBucket.js';
import type { IceServer, SignalPayload } from '../../protocol/index.js';
import {
  decodeAudioFrame,
  decodeClockMessage,
  encodeAudioFrame,
  encodeClockReply,
  FLAG_DISCONTINUITY,
  FRAME_SAMPLES,
  type HostControl,
  MEDIA_CHANNELS,
  MEDIA_SAMPLE_RATE,
  type NowPlaying,
  parseListenerControl,
  type SyncMode,
  type SyncStatus,
} from '../../protocol/media.js';
import { DelayPolicy } from '../../sync/DelayPolicy.js';
import { TypedEmitter } from '../net/TypedEmitter.js';
import { FrameDecoder } from './FrameDecoder.js';
import { PeerLink } from './PeerLink.js';
import { localNow, type Player } from './Player.js';
import { Receiver } from './Receiver.js';
import type { Source } from './Sources.js';
import type { CapturedFrame } from './worklets/capture.worklet.js';

export interface HostEvents {
  syncTable: Record<string, SyncStatus>;
  session: { delayMs: number; mode: SyncMode };
  nowPlaying: NowPlaying;
  links: Record<string, RTCPeerConnectionState>;
}

/** Opus at 160 kbps stereo: music grade, ~21 KB/s per listener with the 20-byte frame headers. */
export const DEFAULT_BITRATE = 160_000;
const TICK_MS = 1000;
/** A link not open this long after it was made (a lost offer, a failed ICE) is made anew. */
const LINK_OPEN_TIMEOUT_MS = 10_000;
/** New late frames in one report (a second) that make the room delay go up. */
const LATE_FRAMES_PER_REPORT = 3;
/** A listener report older than this no longer counts towards the room delay. */
const REPORT_STALE_MS = 5000;

/**
 * The host's side of the media: one capture of whatever source plays, one Opus encode, one send per
 * listener (one encode, N sends); answers clock probes with its own clock, which is the room's
 * reference; picks the room delay D from everyone's needs; and plays the same stream on its own
 * device through the same decode and playout as every listener.
 */
export class HostEngine extends TypedEmitter<HostEvents> {
  readonly links = new Map<string, PeerLink>();
  readonly #linkBorn = new Map<PeerLink, number>();
  readonly receiver: Receiver;
  readonly policy = new DelayPolicy({ mode: 'live' });
  readonly #capture: AudioWorkletNode;
  readonly #localDecoder: FrameDecoder;
  #encoder: AudioEncoder | null = null;
  readonly #stamps = new Map<number, number>();
  #streamId = Math.floor(Math.random() * 0xffff);
  #seq = 0;
  #discontinuity = true;
  #source: Source | null = null;
  #nowPlaying: NowPlaying = { source: 'none', at: 0, playing: false };
  readonly #reports = new Map<string, { status: SyncStatus; needMs: number; at: number; newLate: boolean }>();
  #tick: ReturnType<typeof setInterval>;
  #closed = false;
  #localEnabled = true;
  #table: Record<string, SyncStatus> = {};
  /** Frames captured, encoded and dropped before the output clock was ready (diagnostics). */
  readonly counters = {
    captured: 0,
    encoded: 0,
    notReady: 0,
    encodeErrors: 0,
    unstamped: 0,
    decoded: 0,
    lastTs: 0,
  };

  constructor(
    readonly player: Player,
    readonly selfId: string,
    readonly iceServers: IceServer[],
    readonly sendSignal: (to: string, payload: SignalPayload) => void,
  ) {
    super();
    this.receiver = new Receiver(player, (local) => local, this.policy.delayMs);
    this.#localDecoder = new FrameDecoder((...args) => {
      this.counters.decoded++;
      if (this.#localEnabled) this.receiver.push(...args);
    });
    this.#capture = new AudioWorkletNode(player.ctx, 'jamsesh-capture', {
      numberOfInputs: 1,
      numberOfOutputs: 0,
      channelCount: 2,
      channelCountMode: 'explicit',
    });
    this.#capture.port.onmessage = (e: MessageEvent<CapturedFrame>) => this.#onCaptured(e.data);
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
    this.#localEnabled = enabled;
    if (!enabled) this.player.flush();
  }

  setMode(mode: SyncMode): void {
    this.policy.setMode(mode, this.#needs());
    this.#applyDelay();
  }

  addListener(peerId: string): void {
    if (this.#closed || peerId === this.selfId) return;
    this.links.get(peerId)?.close();
    const link = new PeerLink(peerId, 'host', this.iceServers, (p) => this.sendSignal(peerId, p));
    this.links.set(peerId, link);
    this.#linkBorn.set(link, localNow());
    link.on('open', () => {
      link.sendControl(this.#sessionMessage());
      link.sendControl(
        JSON.stringify({ type: 'now-playing', nowPlaying: this.#nowPlaying } satisfies HostControl),
      );
    });
    // A listener probes at most 10 times a second; a flood gets no more answers than that.
    const probes = new TokenBucket(20, 20, localNow());
    link.on('clock', (data) => {
      const t1 = localNow();
      const m = decodeClockMessage(data);
      if (m.ok && m.value.kind === 'probe' && probes.take(t1)) {
        link.sendClock(encodeClockReply(m.value.t0, t1, localNow()));
      }
    });
    link.on('control', (text) => {
      const parsed = parseListenerControl(text);
      if (parsed.ok && parsed.value.type === 'report') {
        const previous = this.#reports.get(peerId);
        const status = parsed.value.status;
        // Late frames are counted from the start; only a run of new ones says the delay is too short
        // now (one late frame after an OS stall is not worth a higher delay for everyone).
        const newLate =
          previous !== undefined && status.lateFrames - previous.status.lateFrames >= LATE_FRAMES_PER_REPORT;
        this.#reports.set(peerId, { status, needMs: parsed.value.needMs, at: localNow(), newLate });
      }
    });
    link.on('state', () => this.#emitLinks());
    link.on('closed', () => {
      this.#linkBorn.delete(link);
      if (this.links.get(peerId) === link) {
        this.links.delete(peerId);
        this.#emitLinks();
      }
    });
    this.#emitLinks();
  }

  removeListener(peerId: string): void {
    this.links.get(peerId)?.close();
    this.links.delete(peerId);
    this.#reports.delete(peerId);
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
    if (this.#encoder && this.#encoder.state !== 'closed') this.#encoder.close();
    this.#localDecoder.close();
    this.receiver.close();
    this.removeAllListeners();
  }

  #ensureEncoder(): AudioEncoder {
    if (this.#encoder && this.#encoder.state === 'configured') return this.#encoder;
    const encoder = new AudioEncoder({
      output: (chunk) => this.#onEncoded(chunk),
      error: (err) => {
        console.warn('encoder failed; restarting the stream', err);
        this.#restartStream();
      },
    });
    encoder.configure({
      codec: 'opus',
      sampleRate: MEDIA_SAMPLE_RATE,
      numberOfChannels: MEDIA_CHANNELS,
      bitrate: DEFAULT_BITRATE,
      // 10 ms packets: FRAME_SAMPLES per frame.
      opus: { frameDuration: (FRAME_SAMPLES / MEDIA_SAMPLE_RATE) * 1e6, complexity: 9 },
    } as AudioEncoderConfig);
    this.#encoder = encoder;
    return encoder;
  }

  #restartStream(): void {
    const e = this.#encoder;
    this.#encoder = null;
    if (e && e.state !== 'closed') e.close();
    this.#streamId = (this.#streamId + 1) & 0xffff;
    this.#seq = 0;
    this.#stamps.clear();
    this.#discontinuity = true;
  }

  #onCaptured(frame: CapturedFrame): void {
    const recycle = () =>
      this.#capture.port.postMessage({ type: 'recycle', buffers: [frame.left, frame.right] });
    const clock = this.player.outputClock;
    this.counters.captured++;
    if (this.#closed || !clock.ready) {
      this.counters.notReady++;
      recycle();
      return;
    }
    // The stamp: when this sample would leave this device's speaker, on the host clock. Smooth (a
    // fitted line) and following the sound card's rate, so listeners play at the source's pace.
    const t = clock.localTimeOf(frame.startFrame / this.player.ctx.sampleRate);
    const seq = this.#seq++;
    this.#stamps.set(seq, t);
    const data = new Float32Array(FRAME_SAMPLES * 2);
    data.set(frame.left, 0);
    data.set(frame.right, FRAME_SAMPLES);
    recycle();
    const audio = new AudioData({
      format: 'f32-planar',
      sampleRate: MEDIA_SAMPLE_RATE,
      numberOfFrames: FRAME_SAMPLES,
      numberOfChannels: 2,
      timestamp: seq * 10_000,
      data,
    });
    try {
      this.#ensureEncoder().encode(audio);
    } catch (err) {
      console.warn('encode failed', err);
      this.counters.encodeErrors++;
      this.#restartStream();
    } finally {
      audio.close();
    }
  }

  #onEncoded(chunk: EncodedAudioChunk): void {
    this.counters.encoded++;
    const seq = Math.round(chunk.timestamp / 10_000);
    const t = this.#stamps.get(seq);
    this.#stamps.delete(seq);
    this.counters.lastTs = chunk.timestamp;
    if (t === undefined) {
      this.counters.unstamped++;
      return;
    }
    const payload = new Uint8Array(chunk.byteLength);
    chunk.copyTo(payload);
    const flags = this.#discontinuity ? FLAG_DISCONTINUITY : 0;
    this.#discontinuity = false;
    const packet = encodeAudioFrame({
      flags,
      streamId: this.#streamId,
      seq,
      t,
      samples: FRAME_SAMPLES,
      payload,
    });
    for (const link of this.links.values()) link.sendAudio(packet);
    // The host's own device decodes the very same packet.
    const own = decodeAudioFrame(packet);
    if (own.ok) this.#localDecoder.decode(own.value);
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

  /** The host's own device: encode/decode time and its render lead. */
  #ownNeed(): number {
    return Math.max(0, this.player.renderLeadMs()) + 5;
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
    for (const [peerId, r] of this.#reports) if (this.links.has(peerId)) table[peerId] = r.status;
    table[this.selfId] = this.receiver.status({ uncertainty: 0, rtt: 0, ready: true });
    this.#table = table;
    this.emit('syncTable', table);
    this.#broadcast({ type: 'sync-table', entries: table });
  }

  #applyDelay(): void {
    this.receiver.setDelay(this.policy.delayMs);
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
