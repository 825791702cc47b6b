import type { CalibrationState } from '../../protocol/media.js';
import { calibrationSignal } from '../../sync/Calibration.js';
import { OutputMemory, type OutputRecord } from '../../sync/OutputMemory.js';
import { TypedEmitter } from '../net/TypedEmitter.js';
import { localNow, type Player } from './Player.js';

const RECORDS_KEY = 'jamsesh.outputs';
/** Before outputs were told apart, one offset per device. */
const LEGACY_OFFSET_KEY = 'jamsesh.outputOffsetMs';
const DEFAULT_OUTPUT = 'default';
const WATCH_EVERY_MS = 1000;
/** A signal asked for less than this far ahead (s of context time) cannot start on time. */
const MIN_LEAD_S = 0.02;

export interface OutputCalibrationEvents {
  change: { offsetMs: number; calibration: CalibrationState };
}

/**
 * This device's side of acoustic calibration: the offset it plays with, remembered per output
 * (OutputMemory, in localStorage), the output watched for changes (another default device, a
 * lasting jump in the reported latency), and the calibration signal played on request so that it
 * leaves the speaker at a given local time, through the same output mapping as the music.
 */
export class OutputCalibration extends TypedEmitter<OutputCalibrationEvents> {
  readonly memory: OutputMemory;
  #player: Player | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #signal: AudioBuffer | null = null;
  /** The output's key has been asked for once (until then it is the 'default' placeholder). */
  #resolved = false;
  readonly #onDeviceChange = () => void this.#checkOutput();

  constructor() {
    super();
    this.memory = new OutputMemory(readRecords(), DEFAULT_OUTPUT);
    navigator.mediaDevices?.addEventListener?.('devicechange', this.#onDeviceChange);
    void this.#checkOutput();
  }

  get offsetMs(): number {
    return this.memory.offsetMs;
  }

  get calibration(): CalibrationState {
    return this.memory.calibration;
  }

  /** The output to watch (the room's Player; null when it closes). */
  attach(player: Player | null): void {
    this.#player?.ctx.removeEventListener('sinkchange', this.#onDeviceChange);
    this.#player = player;
    this.#signal = null;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (!player) return;
    // The page (or the person) moved this output to another device.
    player.ctx.addEventListener('sinkchange', this.#onDeviceChange);
    void this.#checkOutput();
    this.#timer = setInterval(() => {
      if (player.running && this.memory.latency(player.ctx.outputLatency * 1000, localNow())) this.#changed();
    }, WATCH_EVERY_MS);
  }

  /** An offset set by hand, for this output. */
  setOffset(offsetMs: number): void {
    this.memory.setOffset(offsetMs);
    this.#changed();
  }

  /** The outcome of a calibration run for this device. */
  applyResult(heard: boolean, offsetMs?: number): void {
    if (heard && offsetMs !== undefined) {
      const latency = this.#player ? this.#player.ctx.outputLatency * 1000 : null;
      this.memory.calibrated(offsetMs, latency);
    } else {
      this.memory.notHeard();
    }
    this.#changed();
  }

  /**
   * Plays the calibration signal so that its first sample leaves the speaker at local time
   * `localMs` plus this device's offset (as the music does). False when it cannot be on time.
   */
  playSignalAt(localMs: number): boolean {
    const player = this.#player;
    if (!player?.running || !player.outputClock.ready) return false;
    const ctx = player.ctx;
    const when = player.outputClock.contextTimeAt(localMs + this.memory.offsetMs);
    if (!(when > ctx.currentTime + MIN_LEAD_S)) return false;
    if (!this.#signal) {
      const samples = calibrationSignal(ctx.sampleRate);
      this.#signal = ctx.createBuffer(1, samples.length, ctx.sampleRate);
      this.#signal.copyToChannel(new Float32Array(samples), 0);
    }
    const node = ctx.createBufferSource();
    node.buffer = this.#signal;
    node.connect(player.gain);
    node.onended = () => node.disconnect();
    node.start(when);
    return true;
  }

  close(): void {
    this.attach(null);
    navigator.mediaDevices?.removeEventListener?.('devicechange', this.#onDeviceChange);
    this.removeAllListeners();
  }

  async #checkOutput(): Promise<void> {
    const first = !this.#resolved;
    this.#resolved = true;
    if (this.memory.selectOutput(await outputKey(this.#player?.ctx), first)) this.#changed();
  }

  #changed(): void {
    writeRecords(this.memory.records);
    this.emit('change', { offsetMs: this.memory.offsetMs, calibration: this.memory.calibration });
  }
}

/**
 * Which output the browser plays on: the device the context was moved to (setSinkId), else the
 * system's default output, told apart by its device group (the same physical device keeps its
 * group; labels need a permission). 'default' when the browser does not say.
 */
async function outputKey(ctx?: AudioContext): Promise<string> {
  try {
    const sinkId = (ctx as (AudioContext & { sinkId?: unknown }) | undefined)?.sinkId;
    const wanted = typeof sinkId === 'string' && sinkId !== '' ? sinkId : 'default';
    const devices = (await navigator.mediaDevices?.enumerateDevices()) ?? [];
    const out = devices.find((d) => d.kind === 'audiooutput' && d.deviceId === wanted);
    if (wanted !== 'default') return `sink:${out?.groupId || wanted}`;
    return out?.groupId ? `group:${out.groupId}` : DEFAULT_OUTPUT;
  } catch {
    return DEFAULT_OUTPUT;
  }
}

function readRecords(): Record<string, OutputRecord> {
  try {
    const raw = localStorage.getItem(RECORDS_KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : null;
    const records: Record<string, OutputRecord> = {};
    if (parsed && typeof parsed === 'object') {
      for (const [key, r] of Object.entries(parsed as Record<string, Partial<OutputRecord>>)) {
        if (typeof r?.offsetMs !== 'number' || !Number.isFinite(r.offsetMs)) continue;
        records[key] = {
          offsetMs: Math.max(-500, Math.min(500, r.offsetMs)),
          calibrated: r.calibrated === true,
          latencyMs: typeof r.latencyMs === 'number' ? r.latencyMs : null,
        };
      }
    }
    const legacy = localStorage.getItem(LEGACY_OFFSET_KEY);
    if (legacy !== null && records[DEFAULT_OUTPUT] === undefined && Number.isFinite(Number(legacy))) {
      records[DEFAULT_OUTPUT] = { offsetMs: Number(legacy), calibrated: false, latencyMs: null };
    }
    return records;
  } catch {
    return {};
  }
}

function writeRecords(records: Record<string, OutputRecord>): void {
  try {
    localStorage.setItem(RECORDS_KEY, JSON.stringify(records));
  } catch {
    // Private mode: remembered for this page only.
  }
}
