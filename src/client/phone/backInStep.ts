import type { SyncStatus } from '../../protocol/media.js';

/**
 * After the page was hidden (a phone locked, the app in the background), the room page says that
 * the device is catching up, then that it is back in step and how long that took, for a few
 * seconds. Pure: the AudioSession feeds it the device's own status as it comes (once a second).
 */
export interface BackInStep {
  /** When the page was shown again (ms, local clock). */
  shownAt: number;
  /** When this device was in sync again, null until then. */
  inStepAt: number | null;
}

/** Shorter absences are not worth a word (a notification shade pulled down and up again). */
export const HIDDEN_AT_LEAST_MS = 1000;
/** How long "back in step" stays up. */
export const SHOW_IN_STEP_MS = 5000;

/** The page was shown again after `hiddenMs` hidden. */
export function shown(hiddenMs: number, nowMs: number): BackInStep | null {
  return hiddenMs >= HIDDEN_AT_LEAST_MS ? { shownAt: nowMs, inStepAt: null } : null;
}

/** With this device's latest status: in step yet, and whether the note is still up (null: gone). */
export function advance(back: BackInStep | null, own: SyncStatus | null, nowMs: number): BackInStep | null {
  if (!back) return null;
  if (back.inStepAt === null) return own?.inSync ? { ...back, inStepAt: nowMs } : back;
  return nowMs - back.inStepAt > SHOW_IN_STEP_MS ? null : back;
}

/** The words for it. */
export function describeBack(back: BackInStep): string {
  if (back.inStepAt === null) return 'Back from the background: catching up with the room...';
  return `Back in step with the room (${((back.inStepAt - back.shownAt) / 1000).toFixed(1)} s after the page was shown).`;
}
