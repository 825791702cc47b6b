import { calibrationOffsets, calibrationSignal, findArrival } from '../../sync/Calibration.js';
import {
  anchoredErrors,
  CALIBRATION_SLOT_MS,
  type CalibrationSlot,
  planCalibration,
} from '../../sync/CalibrationPlan.js';
import { type MicChunk, micTimeline } from '../../sync/MicTimeline.js';
import { TypedEmitter } from '../net/TypedEmitter.js';
import { localNow, type Player } from './Player.js';
import type { CapturedFrame, CaptureIn } from './worklets/capture.worklet.js';

/** One device's part in a calibration run, as the host's page shows it. */
export interface CalibrationEntry {
  peerId: string;
  /**
   * waiting: its turn has not come. heard: measured, `offsetMs` applied. not-heard: its signal was
   * not found (too quiet, too far, muted). missed: it could not play (not connected, no output).
   */
  state: 'waiting' | 'heard' | 'not-heard' | 'missed';
  /** Arrival at the microphone minus the scheduled instant, less the reference's (ms): how far off it was. */
  errorMs?: number;
  /** The offset it plays with from now on (ms, + plays later). */
  offsetMs?: number;
  /** Each round's arrival less its instant (ms, 0.1 ms steps; null: not heard), for diagnostics. */
  rounds?: Array<number | null>;
}

export interface CalibrationProgress {
  run: number;
  /** listening: the microphone records and the devices play in turn. */
  phase: 'starting' | 'listening' | 'analysing' | 'done' | 'error';
  error?: string;
  entries: CalibrationEntry[];
}

/** Chromium's breakout-box reader (not in TypeScript's DOM types): a track's audio as WebCodecs AudioData. */
interface TrackProcessorCtor {
  new (init: { track: MediaStreamTrack; maxBufferSize?: number }): { readable: ReadableStream<AudioData> };
}

/** What a run needs from the room: who plays, and how to reach them. */
export interface CalibrationRoom {
  /** Asks device `peerId` to play the signal at host-clock time `atMs` (the host's own: local time). False if it cannot. */
  playAt(peerId: string, atMs: number): boolean;
  /** The device's current offset (ms). */
  offsetOf(peerId: string): number;
  /** Tells device `peerId` its outcome. */
  apply(peerId: string, heard: boolean, offsetMs?: number): void;
}

/** Past the last slot, the microphone records this long more (ms): the latest arrivals, and the frames' trip to the page. */
const TAIL_MS = 400;

/**
 * A calibration run on the host's page: this device's microphone records while every device in
 * `peerIds` plays the calibration signal in turn at a scheduled instant on the host's clock; each
 * arrival, less the scheduled instant, is how late that device's sound really is (plus the
 * microphone's own latency, the same for all). Offsets that bring them together are applied.
 * The microphone's samples are placed on the host's clock by the samples themselves, from the
 * browser's capture timestamps (MicTimeline; through the audio context and its output clock where
 * the browser has no MediaStreamTrackProcessor); a constant error in that cancels between devices.
 * Maths: docs/sync.md.
 *
 * With `reference`, one device is re-calibrated against another that stays as it is (its sound is
 * the target); without, every device moves towards the median (calibrationOffsets).
 */
export class CalibrationRun extends TypedEmitter<{ progress: CalibrationProgress }> {
  #progress: CalibrationProgress;
  #stream: MediaStream | null = null;
  #nodes: AudioNode[] = [];
  #reader: ReadableStreamDefaultReader<AudioData> | null = null;
  /** The microphone's chunks, each with the local time of its first sample. */
  #chunks: MicChunk[] = [];
  #micRate = 0;
  #closed = false;

  constructor(
    readonly run: number,
    readonly player: Player,
    readonly room: CalibrationRoom,
    readonly peerIds: string[],
    readonly reference: string | null = null,
  ) {
    super();
    this.#progress = {
      run,
      phase: 'starting',
      entries: peerIds.map((peerId) => ({ peerId, state: 'waiting' })),
    };
  }

  get progress(): CalibrationProgress {
    return this.#progress;
  }

  /** Runs to the end; the outcome is in `progress` (and its events). Call from a click: it asks for the microphone. */
  async start(): Promise<CalibrationProgress> {
    try {
      await this.#record();
    } catch (err) {
      this.#close();
      return this.#set({ phase: 'error', error: describeMicError(err) });
    }
    // Let the microphone's first frames arrive before the first slot.
    await sleep(300);
    if (this.#chunks.length === 0) {
      this.#close();
      return this.#set({
        phase: 'error',
        error: 'The microphone gave no sound. Check that it is not muted or in use.',
      });
    }
    const plan = planCalibration(this.peerIds, localNow() + 700);
    this.#set({ phase: 'listening' });
    const missed = new Set<CalibrationSlot>();
    // Each slot is asked for just before its time: a device that reconnects meanwhile still plays the later ones.
    for (const slot of plan) {
      await sleep(Math.max(0, slot.atMs - 500 - localNow()));
      if (this.#closed) return this.#progress;
      if (!this.room.playAt(slot.peerId, slot.atMs)) missed.add(slot);
    }
    const last = plan[plan.length - 1] as CalibrationSlot;
    await sleep(Math.max(0, last.atMs + CALIBRATION_SLOT_MS - localNow()) + TAIL_MS);
    this.#set({ phase: 'analysing' });
    const sr = this.#micRate;
    const recording = micTimeline(this.#chunks, sr);
    this.#close();
    // Arrivals: the sample where each signal starts, placed on the local (host) clock.
    const signal = calibrationSignal(sr);
    const rounds = new Map<string, Array<number | null>>(this.peerIds.map((id) => [id, []]));
    for (const slot of plan) {
      let error: number | null = null;
      if (recording && !missed.has(slot)) {
        const from = Math.max(0, Math.floor(recording.indexAt(slot.fromMs)));
        const to = Math.min(recording.samples.length, Math.ceil(recording.indexAt(slot.toMs)));
        const found = to > from ? findArrival(recording.samples, signal, from, to, sr) : null;
        if (found?.heard) error = recording.localAt(found.sample) - slot.atMs;
      }
      rounds.get(slot.peerId)?.push(error);
    }
    const errors = new Map<string, number | null>();
    const missedAll = new Set(
      this.peerIds.filter((id) => plan.every((sl) => sl.peerId !== id || missed.has(sl))),
    );
    for (const [id, e] of anchoredErrors(rounds, this.peerIds)) errors.set(id, e);
    const results = calibrationOffsets(
      this.peerIds.map((id) => ({ id, errorMs: errors.get(id) ?? null, offsetMs: this.room.offsetOf(id) })),
      this.reference ?? undefined,
    );
    const entries: CalibrationEntry[] = results.map((r) => {
      const peerId = r.id;
      const rounded = (rounds.get(peerId) ?? []).map((x) => (x === null ? null : Math.round(x * 10) / 10));
      if (missedAll.has(peerId)) return { peerId, state: 'missed', rounds: rounded };
      if (r.offsetMs === null || (errors.get(peerId) ?? null) === null)
        return { peerId, state: 'not-heard', rounds: rounded };
      // new offset = old - (error - reference): what it moved is how far off it was.
      const errorMs = Math.round((this.room.offsetOf(peerId) - r.offsetMs) * 10) / 10;
      return { peerId, state: 'heard', offsetMs: r.offsetMs, errorMs, rounds: rounded };
    });
    for (const e of entries) {
      if (e.peerId === this.reference) continue;
      if (e.state === 'heard') this.room.apply(e.peerId, true, e.offsetMs);
      else if (e.state === 'not-heard') this.room.apply(e.peerId, false);
    }
    return this.#set({ phase: 'done', entries });
  }

  /** Stops recording now (the room was left, a new run started). */
  cancel(): void {
    this.#close();
    if (this.#progress.phase !== 'done') this.#set({ phase: 'error', error: 'Calibration was cancelled.' });
  }

  /**
   * Opens the microphone and collects its chunks with the local time of each first sample: from
   * the capture timestamps where the browser gives them (MediaStreamTrackProcessor: before any
   * FIFO; see MicTimeline), else through the audio context's worklet and the output clock.
   */
  async #record(): Promise<void> {
    this.#stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
    });
    if (this.#closed) throw new DOMException('cancelled', 'AbortError');
    const track = this.#stream.getAudioTracks()[0];
    const Processor = (globalThis as { MediaStreamTrackProcessor?: TrackProcessorCtor })
      .MediaStreamTrackProcessor;
    if (track && Processor)
      this.#readTrack(new Processor({ track, maxBufferSize: 500 }).readable.getReader());
    else this.#recordThroughContext(this.#stream);
  }

  #readTrack(reader: ReadableStreamDefaultReader<AudioData>): void {
    this.#reader = reader;
    const origin = performance.timeOrigin;
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done || !value) return;
        if (!this.#closed) {
          const samples = new Float32Array(value.numberOfFrames);
          value.copyTo(samples, { planeIndex: 0, format: 'f32-planar' });
          this.#micRate = value.sampleRate;
          this.#chunks.push({ atMs: origin + value.timestamp / 1000, samples });
        }
        value.close();
      }
    })();
  }

  #recordThroughContext(stream: MediaStream): void {
    const ctx = this.player.ctx;
    this.#micRate = ctx.sampleRate;
    const source = ctx.createMediaStreamSource(stream);
    const recorder = new AudioWorkletNode(ctx, 'jamsesh-capture', {
      numberOfInputs: 1,
      numberOfOutputs: 0,
      channelCount: 1,
      channelCountMode: 'explicit',
    });
    const { port1, port2 } = new MessageChannel();
    recorder.port.postMessage({ type: 'port', port: port1 } satisfies CaptureIn, [port1]);
    port2.onmessage = (e: MessageEvent<CapturedFrame>) => {
      // Placed on the clock through the output clock's line of the moment: a later step of the
      // output clock does not move what was recorded before it.
      if (e.data.type === 'frame' && !this.#closed)
        this.#chunks.push({
          atMs: this.player.outputClock.localTimeOf(e.data.startFrame / ctx.sampleRate),
          samples: e.data.left,
        });
    };
    source.connect(recorder);
    this.#nodes = [source, recorder];
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const n of this.#nodes) n.disconnect();
    this.#nodes = [];
    void this.#reader?.cancel().catch(() => {});
    this.#reader = null;
    for (const t of this.#stream?.getTracks() ?? []) t.stop();
    this.#stream = null;
  }

  #set(patch: Partial<CalibrationProgress>): CalibrationProgress {
    this.#progress = { ...this.#progress, ...patch };
    this.emit('progress', this.#progress);
    return this.#progress;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function describeMicError(err: unknown): string {
  const name = err instanceof DOMException ? err.name : '';
  if (name === 'NotAllowedError') return 'Calibration needs the microphone, and it was not allowed.';
  if (name === 'NotFoundError') return 'Calibration needs a microphone, and this device has none.';
  if (name === 'NotReadableError') return 'The microphone is busy in another app.';
  return 'Could not start the microphone.';
}
