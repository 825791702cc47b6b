import { decodeAudioFrame, decodeClockMessage, encodeClockProbe } from '../../../protocol/mediaWire.js';
import { ClockSync } from '../../../sync/ClockSync.js';
import { localNow } from './clock.js';
import { FrameAge } from './FrameAge.js';
import { FrameDecoder } from './FrameDecoder.js';
import type { FromWorker } from './messages.js';
import { Schedule } from './Schedule.js';
import type { Wire } from './Wire.js';

/** Frame ages are measured from this long after the clock sync is ready. */
const AGE_AFTER_CLOCK_MS = 2000;

/**
 * A listener's media, in the worker: keeps the host's clock (ClockSync over the `clock` channel,
 * probing on its own timer), measures how old frames are when they arrive, decodes them and
 * hands them to the Schedule. Nothing here waits for the page's main thread.
 */
export class ListenerMedia {
  readonly clock = new ClockSync();
  readonly schedule: Schedule;
  readonly #decoder: FrameDecoder;
  /** Frame age at arrival (host clock now minus stamp). */
  readonly #age = new FrameAge();
  #audio: Wire | null = null;
  #clockWire: Wire | null = null;
  #probeTimer: ReturnType<typeof setTimeout> | null = null;
  #framesBad = 0;
  #received = 0;
  #lost = 0;
  readonly #lastSeq = new Map<number, number>();
  #clockReadyAt = Number.POSITIVE_INFINITY;

  constructor(playout: MessagePort) {
    this.schedule = new Schedule(
      playout,
      (local) => (this.clock.ready ? this.clock.toHost(local) : null),
      250,
    );
    this.#decoder = new FrameDecoder((frame) => this.schedule.push(frame));
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
    const total = this.#received + this.#lost;
    const [p99 = Number.NaN, p50 = Number.NaN] = this.#age.quantiles(0.99, 0.5);
    const jitter = p99 - p50;
    return {
      type: 'listener',
      clock: this.clock.estimate(),
      clockReady: this.clock.ready,
      needMs: this.needMs(),
      jitterMs: Number.isFinite(jitter) ? jitter : -1,
      lossRate: total > 0 ? this.#lost / total : 0,
      badFrames: this.#framesBad,
      decodeErrors: this.#decoder.errors,
      maxAgeMs: maxAge,
      ageP50: p50,
      decodeMax: this.#decoder.takeMaxLag(),
      decodeUnmatched: this.#decoder.unmatched,
    };
  }

  close(): void {
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
    const last = this.#lastSeq.get(f.streamId);
    if (last !== undefined && f.seq > last + 1) this.#lost += f.seq - last - 1;
    if (last === undefined || f.seq > last) this.#lastSeq.set(f.streamId, f.seq);
    if (!this.clock.ready) this.#clockReadyAt = Number.POSITIVE_INFINITY;
    else if (this.#clockReadyAt === Number.POSITIVE_INFINITY) this.#clockReadyAt = arrived;
    // Ages count once the clock has been sure for a while: the first estimates (and the frames
    // queued while the link came up) would otherwise raise everyone's delay for 20 s at each join.
    if (this.clock.ready && arrived - this.#clockReadyAt >= AGE_AFTER_CLOCK_MS) {
      const age = this.clock.toHost(arrived) - f.t;
      this.#age.add(age);
    }
    this.#decoder.decode(f);
  }
}
