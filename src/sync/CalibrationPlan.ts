/**
 * When each device plays the calibration signal in a run, and where in the recording to look for
 * it. Devices play in turn, one slot each, so their signals never overlap at the microphone; a run
 * goes round all devices ROUNDS times, and a device's error is the median of its rounds, so a
 * cough, a door or a moment's stall of one device's output during one chirp does not set its offset.
 *
 * The search window around a slot's instant allows for what is not known yet: a device up to
 * EARLY_MS early, and up to LATE_MS late, which covers a Bluetooth speaker's 100-300 ms that the
 * browser does not report, plus the microphone's own input latency and the host's output lead
 * (together 20-200 ms), which every arrival shares.
 */
export const EARLY_MS = 250;
export const LATE_MS = 600;
/** A slot: the search window plus the signal's length and a margin, so windows never overlap. */
export const CALIBRATION_SLOT_MS = 1000;
export const ROUNDS = 3;

export interface CalibrationSlot {
  peerId: string;
  round: number;
  /** The instant (host clock, ms) its signal is to leave its speaker. */
  atMs: number;
  /** Where its signal may start, at the microphone (host clock, ms). */
  fromMs: number;
  toMs: number;
}

/** `rounds` slots per device, all devices in the order given in each round, the first at `startMs`. */
export function planCalibration(peerIds: string[], startMs: number, rounds = ROUNDS): CalibrationSlot[] {
  const slots: CalibrationSlot[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const peerId of peerIds) {
      const atMs = startMs + slots.length * CALIBRATION_SLOT_MS;
      slots.push({ peerId, round, atMs, fromMs: atMs - EARLY_MS, toMs: atMs + LATE_MS });
    }
  }
  return slots;
}

/**
 * A device's error from its rounds (ms; null: not heard). It counts as heard when more than half of
 * its rounds were; then its error is the median of those.
 */
export function deviceError(errors: Array<number | null>): number | null {
  const heard = errors.filter((e): e is number => e !== null && Number.isFinite(e)).sort((a, b) => a - b);
  if (heard.length === 0 || heard.length * 2 <= errors.length) return null;
  const mid = heard.length >> 1;
  return heard.length % 2
    ? (heard[mid] as number)
    : ((heard[mid - 1] as number) + (heard[mid] as number)) / 2;
}
