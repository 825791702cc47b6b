import { calibrationOffsets, calibrationSignal, findArrival } from '../../sync/Calibration.js';
import {
  CALIBRATION_SLOT_MS,
  type CalibrationSlot,
  deviceError,
  planCalibration,
} from '../../sync/CalibrationPlan.js';
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

interface Recording {
  samples: Float32Array;
  localAt(index: number): number;
  indexAt(localMs: number): number;
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
 * The microphone's samples are placed on the host's clock through this device's output clock (the
 * same context runs both); a constant error in that cancels between devices. Maths: docs/sync.md.
 *
 * With `reference`, one device is re-calibrated against another that stays as it is (its sound is
 * the target); without, every device moves towards the median (calibrationOffsets).
 */
export class CalibrationRun extends TypedEmitter<{ progress: CalibrationProgress }> {
  #progress: CalibrationProgress;
  #stream: MediaStream | null = null;
  #nodes: AudioNode[] = [];
  /** The microphone's frames, each with the local time its first sample maps to when it arrived. */
  #frames: Array<{ frame: CapturedFrame; localMs: number }> = [];
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
    const ctx = this.player.ctx;
    // Let the microphone's first frames arrive before the first slot.
    await sleep(300);
    if (this.#frames.length === 0) {
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
    const recording = this.#recording();
    this.#close();
    // Arrivals: the sample where each signal starts, placed on the local (host) clock.
    const signal = calibrationSignal(ctx.sampleRate);
    const sr = ctx.sampleRate;
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
    for (const id of this.peerIds) errors.set(id, deviceError(rounds.get(id) ?? []));
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

  async #record(): Promise<void> {
    const ctx = this.player.ctx;
    this.#stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
    });
    if (this.#closed) throw new DOMException('cancelled', 'AbortError');
    const source = ctx.createMediaStreamSource(this.#stream);
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
        this.#frames.push({
          frame: e.data,
          localMs: this.player.outputClock.localTimeOf(e.data.startFrame / ctx.sampleRate),
        });
    };
    source.connect(recorder);
    this.#nodes = [source, recorder];
  }

  /**
   * The recording as one run of samples (gaps filled with silence), with the local time of any
   * sample (`localAt`) and the sample at any local time (`indexAt`), from its frame's time.
   */
  #recording(): Recording | null {
    const frames = this.#frames;
    const first = frames[0];
    const last = frames[frames.length - 1];
    if (!first || !last) return null;
    const sr = this.player.ctx.sampleRate;
    const start = first.frame.startFrame;
    const samples = new Float32Array(last.frame.startFrame + last.frame.left.length - start);
    for (const f of frames) samples.set(f.frame.left, f.frame.startFrame - start);
    const starts = frames.map((f) => f.frame.startFrame - start);
    /** The last frame starting at or before sample `i`. */
    const frameOf = (i: number) => {
      let lo = 0;
      let hi = frames.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((starts[mid] as number) <= i) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    };
    const localAt = (i: number) => {
      const k = frameOf(i);
      return (frames[k]?.localMs as number) + ((i - (starts[k] as number)) / sr) * 1000;
    };
    const indexAt = (localMs: number) => {
      let lo = 0;
      let hi = frames.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((frames[mid]?.localMs as number) <= localMs) lo = mid;
        else hi = mid - 1;
      }
      return (starts[lo] as number) + ((localMs - (frames[lo]?.localMs as number)) * sr) / 1000;
    };
    return { samples, localAt, indexAt };
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const n of this.#nodes) n.disconnect();
    this.#nodes = [];
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
