import {
  type AudioFrame,
  BITRATE_LADDER,
  decodeAudioFrame,
  decodeClockMessage,
  encodeClockProbe,
  encodeNack,
  FLAG_RESENT,
  rungOf,
} from '../../../protocol/mediaWire.js';
import { ClockSync } from '../../../sync/ClockSync.js';
import { FrameOrder } from '../../../sync/FrameOrder.js';
import { localNow } from './clock.js';
import { FrameAge } from './FrameAge.js';
import { FrameDecoder } from './FrameDecoder.js';
import type { FromWorker } from './messages.js';
import type { ChosenDecoder } from './OpusBackend.js';
import { Schedule } from './Schedule.js';
import type { Wire } from './Wire.js';

/** Frame ages are measured from this long after the clock sync is ready. */
const AGE_AFTER_CLOCK_MS = 2000;
/** How often loss recovery looks at what is missing (ms). */
const RECOVERY_EVERY_MS = 5;
/**
 * A frame must be decoded this long before the audio thread renders it (ms): decode, the hop to the
 * worklet, and a margin. A missing frame is waited for until then, and asked for while a resend
 * can still come in time.
 */
const DECODE_MARGIN_MS = 15;

/**
 * A listener's media, in the worker: keeps the host's clock (ClockSync over the `clock` channel,
 * probing on its own timer), measures how old frames are when they arrive, decodes them and
 * hands them to the Schedule. Nothing here waits for the page's main thread.
 */
export class ListenerMedia {
  readonly clock = new ClockSync();
  readonly schedule: Schedule;
  readonly #decoder: FrameDecoder;
  /** Frames in order for the decoder; lost ones asked for again while they can still play. */
  readonly #order = new FrameOrder<AudioFrame>();
  #orderStream = -1;
  readonly #recoveryTimer: ReturnType<typeof setInterval>;
  /** Frame age at arrival (host clock now minus stamp). */
  readonly #age = new FrameAge();
  #audio: Wire | null = null;
  #clockWire: Wire | null = null;
  #probeTimer: ReturnType<typeof setTimeout> | null = null;
  #framesBad = 0;
  #received = 0;
  /** The rung of the last frame that came in (index into BITRATE_LADDER), -1 before any. */
  #rung = -1;
  #clockReadyAt = Number.POSITIVE_INFINITY;

  constructor(
    playout: MessagePort,
    readonly decoder: ChosenDecoder,
  ) {
    this.schedule = new Schedule(
      playout,
      (local) => (this.clock.ready ? this.clock.toHost(local) : null),
      250,
    );
    this.#decoder = new FrameDecoder((frame) => this.schedule.push(frame), decoder.backend);
    this.#recoveryTimer = setInterval(() => this.#recover(), RECOVERY_EVERY_MS);
  }

  /** The link to the host (a new one replaces the old: the host reloaded or reconnected). */
  setWires(audio: Wire, clock: Wire): void {
    this.dropWires();
    this.#audio = audio;
    this.#clockWire = clock;
    this.clock.reset();
    this.#age.reset();
    this.#clockReadyAt = Number.POSITIVE_INFINITY;
    clock.onMessage((data) => {
      const t3 = localNow();
      const m = decodeClockMessage(data);
      if (m.ok && m.value.kind === 'reply')
        this.clock.add({ t0: m.value.t0, t1: m.value.t1, t2: m.value.t2, t3 });
    });
    audio.onMessage((data) => this.#onAudio(data));
    this.#probe();
  }

  dropWires(): void {
    if (this.#probeTimer) clearTimeout(this.#probeTimer);
    this.#probeTimer = null;
    this.#audio?.close();
    this.#clockWire?.close();
    this.#audio = null;
    this.#clockWire = null;
  }

  /** Party mode asks for the 99.9th percentile of frame age, Live for the 95th (FrameAge). */
  setRobust(robust: boolean): void {
    this.#age.setRobust(robust);
  }

  /** The delay this device needs: how old frames are when they arrive, plus render lead, plus decoding. */
  needMs(): number {
    return this.#age.needMs(this.schedule.renderLeadMs);
  }

  state(): FromWorker {
    const maxAge = this.#age.takeMax();
    // Frames skipped over by a later one (reordered or lost, before any recovery): FrameOrder's count.
    const lost = this.#order.counters.missing;
    const total = this.#received + lost;
    const [p99 = Number.NaN, p50 = Number.NaN] = this.#age.quantiles(0.99, 0.5);
    const jitter = p99 - p50;
    return {
      type: 'listener',
      clock: this.clock.estimate(),
      clockReady: this.clock.ready,
      needMs: this.needMs(),
      jitterMs: Number.isFinite(jitter) ? jitter : -1,
      lossRate: total > 0 ? lost / total : 0,
      badFrames: this.#framesBad,
      decodeErrors: this.#decoder.errors,
      maxAgeMs: maxAge,
      ageP50: p50,
      decodeMax: this.#decoder.takeMaxLag(),
      decodeUnmatched: this.#decoder.unmatched,
      decodeOdd: this.#decoder.odd,
      scheduleJumps: this.schedule.jumpsNow(),
      recovery: { ...this.#order.counters },
      kbps: (BITRATE_LADDER[this.#rung] ?? 0) / 1000,
      decoder: this.decoder.kind,
    };
  }

  close(): void {
    clearInterval(this.#recoveryTimer);
    this.dropWires();
    this.#decoder.close();
    this.schedule.close();
  }

  #probe(): void {
    this.#clockWire?.send(encodeClockProbe(localNow()));
    this.#probeTimer = setTimeout(() => this.#probe(), this.clock.nextProbeDelayMs());
  }

  #onAudio(data: ArrayBuffer): void {
    const arrived = localNow();
    const parsed = decodeAudioFrame(data);
    if (!parsed.ok) {
      this.#framesBad++;
      return;
    }
    const f = parsed.value;
    this.#received++;
    this.#rung = rungOf(f.flags);
    if (!this.clock.ready) this.#clockReadyAt = Number.POSITIVE_INFINITY;
    else if (this.#clockReadyAt === Number.POSITIVE_INFINITY) this.#clockReadyAt = arrived;
    // Ages count once the clock has been sure for a while: the first estimates (and the frames
    // queued while the link came up) would otherwise raise everyone's delay for 20 s at each join.
    // A resent frame's age is the recovery's, not the path's: it must not raise the room's delay.
    const resent = (f.flags & FLAG_RESENT) !== 0;
    if (!resent && this.clock.ready && arrived - this.#clockReadyAt >= AGE_AFTER_CLOCK_MS) {
      const age = this.clock.toHost(arrived) - f.t;
      this.#age.add(age);
    }
    if (f.streamId !== this.#orderStream) {
      // A new stream: what the old one still held is decoded first, then the new one starts.
      for (const old of this.#order.reset()) this.#decoder.decode(old);
      this.#orderStream = f.streamId;
    }
    // The payload is a view into this message's own buffer: safe to hold until it is decoded.
    for (const ready of this.#order.push(f.seq, f, arrived, resent)) this.#decoder.decode(ready);
  }

  /** Gives up on frames past their deadline, decodes what waited behind them, asks for lost ones. */
  #recover(): void {
    if (this.#order.held === 0) return;
    const now = localNow();
    const est = this.clock.ready ? this.clock.estimate() : null;
    const { ready, nack } = this.#order.poll(now, (seq) => this.#deadlineOf(seq), est?.rtt ?? 0);
    for (const f of ready) this.#decoder.decode(f);
    if (nack.length > 0) this.#audio?.send(encodeNack({ streamId: this.#orderStream, seqs: nack }));
  }

  /** The last moment (local ms) frame `seq` can be decoded and still play on time; null if unknown. */
  #deadlineOf(seq: number): number | null {
    const host = this.clock.ready ? this.schedule.hostPlayTimeOf(seq) : null;
    if (host === null) return null;
    return this.clock.toLocal(host) - this.schedule.renderLeadMs - DECODE_MARGIN_MS;
  }
}
