import { TokenBucket } from '../../../common/TokenBucket.js';
import {
  AUDIO_HEADER_BYTES,
  BITRATE_LADDER,
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
  START_RUNG,
  withRung,
} from '../../../protocol/mediaWire.js';
import { CaptureClock } from '../../../sync/CaptureClock.js';
import { RateControl } from '../../../sync/RateControl.js';
import { Timeline } from '../../../sync/Timeline.js';
import { Percentile } from '../stats.js';
import type { CapturedFrame } from '../worklets/capture.worklet.js';
import { localNow } from './clock.js';
import { FrameAge } from './FrameAge.js';
import { FrameDecoder } from './FrameDecoder.js';
import { emptyHostCounters, type FromWorker, type HostCounters, type LinkRate } from './messages.js';
import type { ChosenDecoder } from './OpusBackend.js';
import { Schedule } from './Schedule.js';
import { AUDIO_BACKLOG_BYTES, type Wire } from './Wire.js';

/** A new rung's encoder runs this many frames before anyone is switched to it (its start-up). */
const PRIME_FRAMES = 5;
/** How often each listener's rate is looked at (ms). */
const RATE_EVERY_MS = 100;
/** A route's past switches are forgotten this many frames after they took effect. */
const ROUTE_MEMORY = 50;
/** Stamps are kept this many frames for the encoders' outputs. */
const STAMP_KEEP = 200;
/**
 * A channel holds at most the room delay's worth of its stream, plus this (ms): a frame queued
 * behind more can no longer play, and when a dead path comes back (ICE restart), the stale queue it
 * flushes first would hold up the fresh frames for seconds (measured: 3 s of silence, then 5 s of
 * chasing, after a 10 s outage at the lowest rung with a fixed 32 KiB).
 */
const BACKLOG_BEYOND_DELAY_MS = 100;
/** ...but never less than this (bytes): a few frames of any rung. */
const BACKLOG_MIN_BYTES = 1024;
/**
 * A new listener's channel gets, when it opens, the frames sent in the last room delay that can
 * still play there: its playout can start as soon as its clocks are ready, instead of waiting D for
 * the first fresh frame to come due (Party's D is most of a second). Frames due within this (ms)
 * are not sent: they would arrive late.
 */
const PREFILL_MARGIN_MS = 40;
/** A listener probes at most 10 times a second; a flood gets no more answers than this. */
const PROBES_PER_SECOND = 20;
/** Frames kept for resending (3 s: more than any room delay a resend could still help). */
const RESEND_KEEP = 300;
/**
 * Resends per listener per second, at most (the stream is 100 frames/s): enough for 10-20 % loss
 * with retries, and a listener that asks for everything cannot make the host send much more.
 */
const RESENDS_PER_SECOND = 40;

/** One Opus encoder of the ladder, fed every captured frame while some receiver uses its rung. */
interface RungEncoder {
  readonly rung: number;
  readonly encoder: AudioEncoder;
  /** The first frame it was fed: its output is steady PRIME_FRAMES later. */
  readonly firstSeq: number;
}

/**
 * Which rung a receiver gets, by frame: switches sorted by `at` (the first frame they apply to);
 * the last is its rung now. Switching by frame number, not by which encoder's output comes first,
 * gives every frame exactly once, from one rung, without a gap.
 */
type Route = Array<{ at: number; rung: number }>;

interface Link {
  audio: Wire;
  clock: Wire;
  resends: TokenBucket;
  route: Route;
  rate: RateControl;
  /** Frames sent, and frames it asked for again (NACKed seqs), for its rate control. */
  frames: number;
  nacked: number;
  /** When anything last came from it (local ms): its clock probes come at least every 500 ms. */
  heardAt: number;
}

function rungAt(route: Route, seq: number): number {
  for (let i = route.length - 1; i > 0; i--) {
    const r = route[i] as Route[number];
    if (seq >= r.at) return r.rung;
  }
  return (route[0] as Route[number]).rung;
}

function rungNow(route: Route): number {
  return (route.at(-1) as Route[number]).rung;
}

/**
 * The host's media, in the worker: frames from the capture worklet are stamped (when each sample
 * would leave this device's speaker, on the host clock), Opus-encoded once per rung of the bitrate
 * ladder in use and sent to every listener on its rung (one encode per rung, N sends; RateControl
 * picks each listener's rung from its channel's send buffer); clock probes are answered with the
 * host clock, the room's reference; and the very same packets are decoded for this device's own
 * playout (at the best rung any listener gets, and at least the starting one).
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
  /** The running encoders, by rung. */
  readonly #encoders = new Map<number, RungEncoder>();
  /** This device's own playout's rung. */
  #own: Route = [{ at: 0, rung: START_RUNG }];
  /** Frames in the encoders: stamp, epoch, and when they went in (performance.now(), diagnostics). */
  readonly #stamps = new Map<number, { t: number; epoch: number; at: number }>();
  /** The last RESEND_KEEP packets of the current stream per rung, by seq, marked as resent. */
  readonly #sent = new Map<number, Map<number, ArrayBuffer>>();
  #streamId = Math.floor(Math.random() * 0xffff);
  #seq = 0;
  #localEnabled = true;
  #rateAt = 0;
  /** The encoders start at the next captured frame (at most one restart per frame if they fail). */
  #newStream = true;

  constructor(
    playout: MessagePort,
    readonly sampleRate: number,
    readonly decoder: ChosenDecoder,
  ) {
    this.schedule = new Schedule(playout, (local) => local, 250);
    this.#decoder = new FrameDecoder((frame) => {
      this.counters.decoded++;
      this.#age.add(localNow() - frame.t);
      if (this.#localEnabled) this.schedule.push(frame);
    }, decoder.backend);
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
    const link: Link = {
      audio,
      clock,
      resends,
      route: [{ at: 0, rung: START_RUNG }],
      rate: new RateControl(BITRATE_LADDER, START_RUNG, AUDIO_HEADER_BYTES),
      frames: 0,
      nacked: 0,
      heardAt: localNow(),
    };
    this.#links.set(peerId, link);
    // Its rung may have no encoder running (everyone else is on another): it starts fresh, as it does.
    this.#startEncoder(START_RUNG);
    audio.onOpen(() => {
      if (this.#links.get(peerId) === link) this.#prefill(link);
    });
    const probes = new TokenBucket(PROBES_PER_SECOND, PROBES_PER_SECOND, localNow());
    clock.onMessage((data) => {
      const t1 = localNow();
      link.heardAt = t1;
      const m = decodeClockMessage(data);
      if (m.ok && m.value.kind === 'probe' && probes.take(t1)) {
        clock.send(encodeClockReply(m.value.t0, t1, localNow()));
      }
    });
    // On the audio channel a listener only asks for lost frames again (NACK), within its budget.
    audio.onMessage((data) => {
      link.heardAt = localNow();
      const m = decodeNack(data);
      if (!m.ok || m.value.streamId !== this.#streamId) {
        this.counters.badNacks++;
        return;
      }
      const now = localNow();
      link.nacked += m.value.seqs.length;
      for (const seq of m.value.seqs) {
        const packet = this.#resendOf(rungAt(link.route, seq), seq);
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
    const rates: Record<string, LinkRate> = {};
    const silentMs: Record<string, number> = {};
    const now = localNow();
    for (const [peerId, l] of this.#links) {
      drops[peerId] = l.audio.dropped;
      silentMs[peerId] = now - l.heardAt;
      rates[peerId] = { kbps: (BITRATE_LADDER[rungNow(l.route)] ?? 0) / 1000, ...l.rate.counters };
    }
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
      encoders: [...this.#encoders.keys()].map((r) => (BITRATE_LADDER[r] ?? 0) / 1000),
    };
    this.counters.maxSendLagMs = 0;
    const ownKbps = (BITRATE_LADDER[rungNow(this.#own)] ?? 0) / 1000;
    return {
      type: 'host',
      counters,
      streamId: this.#streamId,
      drops,
      rates,
      silentMs,
      ownKbps,
      needMs: this.needMs(),
      decoder: this.decoder.kind,
    };
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
    for (const e of this.#encoders.values()) if (e.encoder.state !== 'closed') e.encoder.close();
    this.#encoders.clear();
    this.#decoder.close();
    this.schedule.close();
  }

  /** Starts the encoder of `rung`, fed from the next captured frame on. */
  #startEncoder(rung: number): RungEncoder {
    const running = this.#encoders.get(rung);
    if (running) return running;
    const encoder = new AudioEncoder({
      output: (chunk) => this.#onEncoded(entry, chunk),
      error: (err) => {
        console.warn('encoder failed; restarting the stream', err);
        this.#restartStream();
      },
    });
    encoder.configure({
      codec: 'opus',
      sampleRate: MEDIA_SAMPLE_RATE,
      numberOfChannels: MEDIA_CHANNELS,
      bitrate: BITRATE_LADDER[rung] ?? BITRATE_LADDER[START_RUNG],
      // 10 ms packets: FRAME_SAMPLES per frame.
      opus: { frameDuration: (FRAME_SAMPLES / MEDIA_SAMPLE_RATE) * 1e6, complexity: 9 },
    } as AudioEncoderConfig);
    const entry: RungEncoder = { rung, encoder, firstSeq: this.#seq };
    this.#encoders.set(rung, entry);
    return entry;
  }

  /**
   * Moves a receiver to `rung` from the first frame the rung's encoder has had time to settle for
   * (starting it if need be); switches not yet taken effect are replaced.
   */
  #move(route: Route, rung: number): void {
    while (route.length > 1 && (route.at(-1) as Route[number]).at >= this.#seq) route.pop();
    if (rungNow(route) === rung) return;
    const encoder = this.#startEncoder(rung);
    route.push({ at: Math.max(this.#seq, encoder.firstSeq + PRIME_FRAMES), rung });
  }

  /** Every RATE_EVERY_MS: each listener's rate control, this device's own rung, and the encoders in use. */
  #adapt(now: number): void {
    let best = START_RUNG;
    for (const link of this.#links.values()) {
      const { audio } = link;
      const rung = link.rate.update({
        now,
        buffered: audio.buffered,
        sent: audio.bytesSent,
        dropped: audio.dropped,
        frames: link.frames,
        nacked: link.nacked,
        silentMs: now - link.heardAt,
      });
      if (rung !== rungNow(link.route)) this.#move(link.route, rung);
      best = Math.min(best, rung);
      const playable =
        (link.rate.bytesPerSecond(rung) * (this.schedule.delayMs + BACKLOG_BEYOND_DELAY_MS)) / 1000;
      audio.backlogBytes = Math.round(Math.min(AUDIO_BACKLOG_BYTES, Math.max(BACKLOG_MIN_BYTES, playable)));
    }
    if (best !== rungNow(this.#own)) this.#move(this.#own, best);
    // Forget switches long done, and stop the encoders no one gets frames from any more.
    const used = new Set<number>();
    for (const route of this.#routes()) {
      while (route.length > 1 && (route[1] as Route[number]).at < this.#seq - ROUTE_MEMORY) route.shift();
      for (const r of route) used.add(r.rung);
    }
    for (const [rung, e] of this.#encoders) {
      if (used.has(rung)) continue;
      this.#encoders.delete(rung);
      if (e.encoder.state !== 'closed') e.encoder.close();
    }
    for (const sent of this.#sent.values()) {
      for (const seq of sent.keys()) {
        if (seq >= this.#seq - RESEND_KEEP) break;
        sent.delete(seq);
      }
    }
  }

  /** Sends a link that just opened the recent frames that can still play there (PREFILL_MARGIN_MS). */
  #prefill(link: Link): void {
    const now = localNow();
    const delay = this.schedule.delayMs;
    // Newest first, back to the first frame that would come due too soon.
    const seqs: number[] = [];
    for (let seq = this.#seq - 1; seq >= 0 && seqs.length < RESEND_KEEP; seq--) {
      const stamp = this.#stamps.get(seq);
      if (!stamp || stamp.t + delay - now < PREFILL_MARGIN_MS) break;
      seqs.push(seq);
    }
    for (const seq of seqs.reverse()) {
      const packet = this.#resendOf(rungAt(link.route, seq), seq);
      if (!packet) continue; // not encoded yet: it comes as a fresh frame
      link.audio.send(packet);
      this.counters.prefilled++;
    }
  }

  /** Every receiver's route: this device's own playout, then each listener's. */
  #routes(): Route[] {
    return [this.#own, ...[...this.#links.values()].map((l) => l.route)];
  }

  /** Frame `seq` as a resend, from rung `rung` if it was encoded there, else from any rung that has it. */
  #resendOf(rung: number, seq: number): ArrayBuffer | undefined {
    const own = this.#sent.get(rung)?.get(seq);
    if (own) return own;
    for (const sent of this.#sent.values()) {
      const packet = sent.get(seq);
      if (packet) return packet;
    }
    return undefined;
  }

  #restartStream(): void {
    for (const e of this.#encoders.values()) if (e.encoder.state !== 'closed') e.encoder.close();
    this.#encoders.clear();
    this.#newStream = true;
    this.#streamId = (this.#streamId + 1) & 0xffff;
    this.#seq = 0;
    this.#timeline = new Timeline();
    this.#stamps.clear();
    this.#sent.clear();
    // Everyone keeps their rung; the new stream starts on it (the encoders start fresh anyway).
    this.#own = [{ at: 0, rung: rungNow(this.#own) }];
    for (const link of this.#links.values()) link.route = [{ at: 0, rung: rungNow(link.route) }];
  }

  #onCaptured(frame: CapturedFrame): void {
    const arrived = localNow();
    const recycle = () => this.#capture?.postMessage({ type: 'recycle', buffers: [frame.left, frame.right] });
    this.counters.captured++;
    if (arrived - this.#rateAt >= RATE_EVERY_MS) {
      this.#rateAt = arrived;
      this.#adapt(arrived);
    }
    // The stamp: when the audio thread produced this frame's first sample, on the host clock (the
    // worklet posts a frame when its last sample is done, FRAME_MS later). A line along the floor
    // of the arrival times, following the sound card's rate, so listeners play at the source's pace.
    const ctxMs = (frame.startFrame / this.sampleRate) * 1000;
    this.#captureClock.add(ctxMs, arrived);
    const measured = this.#captureClock.stamp(ctxMs) - FRAME_MS;
    this.#arriveLag.add(arrived - measured);
    // A new stream (the first, or after a restart) starts every rung someone gets.
    if (this.#newStream) {
      this.#newStream = false;
      for (const route of this.#routes()) {
        for (const r of route) this.#startEncoder(r.rung);
      }
    }
    const seq = this.#seq++;
    // What is sent is a straight timeline that follows the measurement within 2 ms (Timeline).
    const clock = this.#captureClock;
    const t = this.#timeline.stamp(seq * FRAME_MS, measured, clock.slope, clock.epoch);
    const epoch = this.#timeline.epoch;
    this.#stamps.set(seq, { t, epoch, at: performance.now() });
    this.#stamps.delete(seq - STAMP_KEEP);
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
      // Each encoder takes its own copy (AudioEncoder.encode clones the data).
      for (const e of this.#encoders.values()) e.encoder.encode(audio);
    } catch (err) {
      console.warn('encode failed', err);
      this.counters.encodeErrors++;
      this.#restartStream();
    } finally {
      audio.close();
    }
  }

  #onEncoded(from: RungEncoder, chunk: EncodedAudioChunk): void {
    if (this.#encoders.get(from.rung) !== from) return; // stopped, or from before a restart
    const seq = Math.round(chunk.timestamp / 10_000);
    const stamp = this.#stamps.get(seq);
    const forOwn = rungAt(this.#own, seq) === from.rung;
    if (forOwn) this.counters.encoded++;
    if (stamp === undefined) {
      if (forOwn) this.counters.unstamped++;
      return;
    }
    const { t, epoch, at } = stamp;
    if (forOwn) this.#encodeLag.add(performance.now() - at);
    const payload = new Uint8Array(chunk.byteLength);
    chunk.copyTo(payload);
    const flags = withRung(seq === 0 ? FLAG_DISCONTINUITY : 0, from.rung);
    const packet = encodeAudioFrame({
      flags,
      streamId: this.#streamId,
      seq,
      t,
      samples: FRAME_SAMPLES,
      epoch,
      payload,
    });
    for (const link of this.#links.values()) {
      if (rungAt(link.route, seq) !== from.rung) continue;
      link.audio.send(packet);
      link.frames++;
    }
    const resend = packet.slice(0);
    new DataView(resend).setUint8(1, flags | FLAG_RESENT);
    let sent = this.#sent.get(from.rung);
    if (!sent) {
      sent = new Map();
      this.#sent.set(from.rung, sent);
    }
    sent.set(seq, resend);
    if (!forOwn) return;
    const lag = localNow() - t;
    this.#sendLag.add(lag);
    if (lag > this.counters.maxSendLagMs) this.counters.maxSendLagMs = lag;
    // This device decodes the very same packets (its own rung's).
    const own = decodeAudioFrame(packet);
    if (own.ok) this.#decoder.decode(own.value);
  }
}
