/** What a device remembers about one audio output (a speaker, headphones, a Bluetooth device). */
export interface OutputRecord {
  /** The offset to play with on this output (ms, + plays later). */
  offsetMs: number;
  /** The offset came from an acoustic calibration (not only from the +/- buttons). */
  calibrated: boolean;
  /** The output latency the browser reported when it was calibrated (ms), to notice a change. */
  latencyMs: number | null;
}

export type OutputCalibration = 'none' | 'calibrated' | 'stale' | 'not-heard';

/**
 * A reported output latency this far (ms) from the one at calibration time... Chromium reports it
 * in steps of 8 ms, and it ramps for seconds after a start or an underrun (docs/sync.md); a switch
 * to Bluetooth moves it by 100 ms or more.
 */
export const LATENCY_CHANGE_MS = 20;
/** ...for this long (ms) says the output changed under the same name. */
export const LATENCY_CHANGE_HOLD_MS = 10_000;

/**
 * Which offset this device plays with, remembered per output, and whether it is still calibrated.
 *
 * A calibration measures one output: a phone's speaker and the headphones plugged into it are
 * hundreds of ms apart when one is Bluetooth. So the offset is kept per output key (which output
 * the browser plays on), and coming back to an output brings its offset back. The output can also
 * change under the same key (the system's default moved to a Bluetooth device): a lasting jump in the
 * reported output latency says so, and the calibration is then called stale, kept but to be redone.
 * Pure: the page feeds it the output key and latency readings (OutputCalibration.ts).
 */
export class OutputMemory {
  readonly #records: Map<string, OutputRecord>;
  #key: string;
  #state: OutputCalibration;
  #changedSince: number | null = null;

  constructor(records: Record<string, OutputRecord>, key: string) {
    this.#records = new Map(Object.entries(records));
    this.#key = key;
    this.#state = this.#records.get(key)?.calibrated ? 'calibrated' : 'none';
  }

  get key(): string {
    return this.#key;
  }

  get offsetMs(): number {
    return this.#records.get(this.#key)?.offsetMs ?? 0;
  }

  get calibration(): OutputCalibration {
    return this.#state;
  }

  /** Everything remembered, to store. */
  get records(): Record<string, OutputRecord> {
    return Object.fromEntries(this.#records);
  }

  /**
   * The device plays on another output now: its own offset and calibration apply. With `carry`
   * (the first time the page learns which output it plays on: the key so far was a placeholder),
   * what was kept under the old key goes with it unless the new key has its own. Returns whether
   * the key changed.
   */
  selectOutput(key: string, carry = false): boolean {
    if (key === this.#key) return false;
    const kept = this.#records.get(this.#key);
    if (carry && kept && !this.#records.has(key)) this.#records.set(key, kept);
    this.#key = key;
    this.#changedSince = null;
    this.#state = this.#records.get(key)?.calibrated ? 'calibrated' : 'none';
    return true;
  }

  /** An offset set by hand: kept for this output; a calibration stays one (a nudge on top of it). */
  setOffset(offsetMs: number): void {
    const r = this.#records.get(this.#key);
    this.#records.set(this.#key, {
      offsetMs,
      calibrated: r?.calibrated ?? false,
      latencyMs: r?.latencyMs ?? null,
    });
  }

  /** A calibration run measured this output: play with `offsetMs` from now on. */
  calibrated(offsetMs: number, latencyMs: number | null): void {
    this.#records.set(this.#key, { offsetMs, calibrated: true, latencyMs });
    this.#state = 'calibrated';
    this.#changedSince = null;
  }

  /** A calibration run did not hear this device: the offset stays as it was. */
  notHeard(): void {
    this.#state = 'not-heard';
  }

  /**
   * A reading of the output latency the browser reports (ms) at local time `nowMs`. Returns true
   * when it made the calibration stale: it stayed LATENCY_CHANGE_MS away from the calibrated one for
   * LATENCY_CHANGE_HOLD_MS.
   */
  latency(latencyMs: number, nowMs: number): boolean {
    const r = this.#records.get(this.#key);
    if (this.#state !== 'calibrated' || !r || r.latencyMs === null || !Number.isFinite(latencyMs))
      return false;
    if (Math.abs(latencyMs - r.latencyMs) <= LATENCY_CHANGE_MS) {
      this.#changedSince = null;
      return false;
    }
    this.#changedSince ??= nowMs;
    if (nowMs - this.#changedSince < LATENCY_CHANGE_HOLD_MS) return false;
    this.#state = 'stale';
    return true;
  }

  /** The output changed in a way the page saw directly (a `devicechange` that kept the key, a sink change). */
  outputChanged(): void {
    if (this.#state === 'calibrated') this.#state = 'stale';
  }
}
