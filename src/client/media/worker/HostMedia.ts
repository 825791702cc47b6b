import { TokenBucket } from '../../../common/TokenBucket.js';
import {
  decodeAudioFrame,
  decodeClockMessage,
  decodeNack,
  encodeAudioFrame,
  encodeClockReply,
  FLAG_DISCONTINUITY,
  FLAG_RESENT,
  FRAME_MS,
  FRAME_SAMPLES,
  MEDIA_CHANNELS,
  MEDIA_SAMPLE_RATE,
} from '../../../protocol/mediaWire.js';
import { CaptureClock } from '../../../sync/CaptureClock.js';
import { Timeline } from '../../../sync/Timeline.js';
import { Percentile } from '../stats.js';
import type { CapturedFrame } from '../worklets/capture.worklet.js';
import { localNow } from './clock.js';
import { FrameAge } from './FrameAge.js';
import { FrameDecoder } from './FrameDecoder.js';
import { emptyHostCounters, type FromWorker, type HostCounters } from './messages.js';
import { Schedule } from './Schedule.js';
import type { Wire } from './Wire.js';

/** Opus at 160 kbps stereo: music grade, ~21 KB/s per listener with the 20-byte frame headers. */
export const DEFAULT_BITRATE = 160_000;
/** A listener probes at most 10 times a second; a flood gets no more answers than this. */
const PROBES_PER_SECOND = 20;
/** Frames kept for resending (3 s: more than any room delay a resend could still help). */
const RESEND_KEEP = 300;
/**
 * Resends per listener per second, at most (the stream is 100 frames/s): enough for 10-20 % loss
 * with retries, and a listener that asks for everything cannot make the host send much more.
 */
const RESENDS_PER_SECOND = 40;

interface Link {
  audio: Wire;
  clock: Wire;
  resends: TokenBucket;
}

/**
 * The host's media, in the worker: frames from the capture worklet are stamped (when each sample
 * would leave this device's speaker, on the host clock), Opus-encoded once and sent to every
 * listener (one encode, N sends); clock probes are answered with the host clock, the room's
 * reference; and the very same packets are decoded for this device's own playout.
 */
export class HostMedia {
  readonly schedule: Schedule;
  readonly counters: HostCounters = emptyHostCounters();
  readonly #links = new Map<string, Link>();
  readonly #captureClock = new CaptureClock();
  #timeline = new Timeline();
  /** How old this device's own frames are when decoded. */
  readonly #age = new FrameAge();
  /** Capture to send (ms), over the last 5 s. */
  readonly #sendLag = new Percentile(500);
  readonly #arriveLag = new Percentile(500);
  readonly #encodeLag = new Percentile(500);
  readonly #decoder: FrameDecoder;
  #capture: MessagePort | null = null;
  #encoder: AudioEncoder | null = null;
  /** Frames in the encoder: stamp, epoch, and when they went in (performance.now(), diagnostics). */
  readonly #stamps = new Map<number, { t: number; epoch: number; at: number }>();
  /** The last RESEND_KEEP packets of the current stream, by seq, marked as resent. */
  readonly #sent = new Map<number, ArrayBuffer>();
  #streamId = Math.floor(Math.random() * 0xffff);
  #seq = 0;
  #discontinuity = true;
  #localEnabled = true;

  constructor(
    playout: MessagePort,
    readonly sampleRate: number,
  ) {
    this.schedule = new Schedule(playout, (local) => local, 250);
    this.#decoder = new FrameDecoder((frame) => {
      this.counters.decoded++;
      this.#age.add(localNow() - frame.t);
      if (this.#localEnabled) this.schedule.push(frame);
    });
  }

  setCapture(port: MessagePort): void {
    this.#capture?.close();
    this.#capture = port;
    port.onmessage = (e: MessageEvent<CapturedFrame>) => this.#onCaptured(e.data);
    port.start();
  }

  setLocalPlayback(enabled: boolean): void {
    this.#localEnabled = enabled;
    if (!enabled) this.schedule.flush();
  }

  addLink(peerId: string, audio: Wire, clock: Wire): void {
    this.removeLink(peerId);
    const resends = new TokenBucket(RESENDS_PER_SECOND, RESENDS_PER_SECOND, localNow());
    this.#links.set(peerId, { audio, clock, resends });
    const probes = new TokenBucket(PROBES_PER_SECOND, PROBES_PER_SECOND, localNow());
    clock.onMessage((data) => {
      const t1 = localNow();
      const m = decodeClockMessage(data);
      if (m.ok && m.value.kind === 'probe' && probes.take(t1)) {
        clock.send(encodeClockReply(m.value.t0, t1, localNow()));
      }
    });
    // On the audio channel a listener only asks for lost frames again (NACK), within its budget.
    audio.onMessage((data) => {
      const m = decodeNack(data);
      if (!m.ok || m.value.streamId !== this.#streamId) {
        this.counters.badNacks++;
        return;
      }
      const now = localNow();
      for (const seq of m.value.seqs) {
        const packet = this.#sent.get(seq);
        if (!packet) continue;
        if (audio.congested || !resends.take(now)) {
          this.counters.resendsRefused++;
          break;
        }
        audio.send(packet);
        this.counters.resent++;
      }
    });
  }

  removeLink(peerId: string): void {
    const link = this.#links.get(peerId);
    if (!link) return;
    this.#links.delete(peerId);
    link.audio.close();
    link.clock.close();
  }

  state(): FromWorker {
    const drops: Record<string, number> = {};
    for (const [peerId, l] of this.#links) drops[peerId] = l.audio.dropped;
    const [sendLagP50, sendLagP99] = this.#sendLag.quantiles(0.5, 0.99);
    const [encodeP50, encodeP99] = this.#encodeLag.quantiles(0.5, 0.99);
    const counters = {
      ...this.counters,
      sendLagP50,
      sendLagP99,
      ownAgeP50: this.#age.quantiles(0.5)[0],
      arriveP99: this.#arriveLag.quantile(0.99),
      captureSteps: this.#captureClock.steps,
      timelineRedraws: this.#timeline.redraws,
      decodeMax: this.#decoder.takeMaxLag(),
      decodeOdd: this.#decoder.odd,
      scheduleJumps: this.schedule.jumpsNow(),
      encodeP50,
      encodeP99,
    };
    this.counters.maxSendLagMs = 0;
    return { type: 'host', counters, streamId: this.#streamId, drops, needMs: this.needMs() };
  }

  /** Party mode asks for the 99.9th percentile of frame age, Live for the 95th (FrameAge). */
  setRobust(robust: boolean): void {
    this.#age.setRobust(robust);
  }

  /** The delay this device needs: encode, decode and hand-over time, plus its render lead. */
  needMs(): number {
    return this.#age.needMs(this.schedule.renderLeadMs);
  }

  close(): void {
    for (const peerId of [...this.#links.keys()]) this.removeLink(peerId);
    this.#capture?.close();
    if (this.#encoder && this.#encoder.state !== 'closed') this.#encoder.close();
    this.#decoder.close();
    this.schedule.close();
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
    this.#timeline = new Timeline();
    this.#stamps.clear();
    this.#sent.clear();
    this.#discontinuity = true;
  }

  #onCaptured(frame: CapturedFrame): void {
    const arrived = localNow();
    const recycle = () => this.#capture?.postMessage({ type: 'recycle', buffers: [frame.left, frame.right] });
    this.counters.captured++;
    // The stamp: when the audio thread produced this frame's first sample, on the host clock (the
    // worklet posts a frame when its last sample is done, FRAME_MS later). A line along the floor
    // of the arrival times, following the sound card's rate, so listeners play at the source's pace.
    const ctxMs = (frame.startFrame / this.sampleRate) * 1000;
    this.#captureClock.add(ctxMs, arrived);
    const measured = this.#captureClock.stamp(ctxMs) - FRAME_MS;
    this.#arriveLag.add(arrived - measured);
    const seq = this.#seq++;
    // What is sent is a straight timeline that follows the measurement within 2 ms (Timeline).
    const clock = this.#captureClock;
    const t = this.#timeline.stamp(seq * FRAME_MS, measured, clock.slope, clock.epoch);
    const epoch = this.#timeline.epoch;
    this.#stamps.set(seq, { t, epoch, at: performance.now() });
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
    const stamp = this.#stamps.get(seq);
    this.#stamps.delete(seq);
    if (stamp === undefined) {
      this.counters.unstamped++;
      return;
    }
    const { t, epoch, at } = stamp;
    this.#encodeLag.add(performance.now() - at);
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
      epoch,
      payload,
    });
    for (const link of this.#links.values()) link.audio.send(packet);
    const resend = packet.slice(0);
    new DataView(resend).setUint8(1, flags | FLAG_RESENT);
    this.#sent.set(seq, resend);
    this.#sent.delete(seq - RESEND_KEEP);
    const lag = localNow() - t;
    this.#sendLag.add(lag);
    if (lag > this.counters.maxSendLagMs) this.counters.maxSendLagMs = lag;
    // This device decodes the very same packet.
    const own = decodeAudioFrame(packet);
    if (own.ok) this.#decoder.decode(own.value);
  }
}
