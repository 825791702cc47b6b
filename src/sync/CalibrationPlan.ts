import { median } from '../common/median.js';
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
export function deviceError(errors: ReadonlyArray<number | null>): number | null {
  const heard = errors.filter((e): e is number => e !== null && Number.isFinite(e));
  if (heard.length === 0 || heard.length * 2 <= errors.length) return null;
  return median(heard);
}

/**
 * Every device's error against an anchor heard in the same round, the median over rounds.
 *
 * Why against an anchor: an error is an arrival on the recording's clock, and that clock can jump
 * in the middle of a run (measured: the microphone's stream lost 17.7 ms between two slots of a
 * host + 3 run under load, and every later arrival moved by that much). Taken alone, the medians of
 * rounds then mixed rounds from before and after the jump (the host's two before, everyone else's
 * two after) and set the whole room 17.7 ms off its host. Within one round, every device sees the
 * same clock unless the jump falls inside it; so each round gives each device its difference to the
 * anchor, and the median over rounds leaves out a round that a jump split.
 *
 * The anchor is the device heard in the most rounds (the first of them in `order`); its own error
 * is 0. A device never heard in a round with the anchor, though heard, falls back to its own median
 * less the anchor's. Null: not heard (see {@link deviceError}).
 */
export function anchoredErrors(
  rounds: ReadonlyMap<string, ReadonlyArray<number | null>>,
  order: readonly string[],
): Map<string, number | null> {
  const heard = (e: number | null | undefined): e is number =>
    e !== null && e !== undefined && Number.isFinite(e);
  const count = (id: string) => (rounds.get(id) ?? []).filter(heard).length;
  const anchor = order.reduce<string | null>(
    (best, id) => (best === null || count(id) > count(best) ? id : best),
    null,
  );
  const out = new Map<string, number | null>();
  const own = anchor === null ? null : deviceError(rounds.get(anchor) ?? []);
  for (const id of order) {
    const mine = rounds.get(id) ?? [];
    if (anchor === null || own === null) {
      out.set(id, deviceError(mine));
      continue;
    }
    if (id === anchor) {
      out.set(id, 0);
      continue;
    }
    const base = rounds.get(anchor) ?? [];
    const diffs = mine.map((e, r) => {
      const a = base[r];
      return heard(e) && heard(a) ? e - a : null;
    });
    const anchored = deviceError(diffs);
    const alone = deviceError(mine);
    out.set(id, anchored ?? (alone === null ? null : alone - own));
  }
  return out;
}
