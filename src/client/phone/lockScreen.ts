import { formatRoomCode, type Role } from '../../protocol/index.js';
import type { NowPlaying } from '../../protocol/media.js';
import { nowPlayingTitle, WAITING_FOR_HOST } from '../text/nowPlaying.js';

/** What the lock screen and the system's media controls show (MediaMetadata's fields). */
export interface LockScreenInfo {
  title: string;
  artist: string;
  /** The room, where a player shows the album: "JamSesh · K7Q 4MZ". */
  album: string;
}

/** The Media Session actions this page answers. */
export type LockScreenAction = 'play' | 'pause' | 'nexttrack' | 'previoustrack';

/** Everything the Media Session is set to, from what the room knows. */
export interface LockScreenState {
  /** null: no metadata (not in a room). */
  info: LockScreenInfo | null;
  playback: 'playing' | 'paused' | 'none';
  actions: readonly LockScreenAction[];
  /** A file's length and place, for the lock screen's progress bar. */
  position: { durationS: number; positionS: number } | null;
}

export const NO_LOCK_SCREEN: LockScreenState = { info: null, playback: 'none', actions: [], position: null };

/**
 * The lock screen for this device, from the room code, its role and what the host says plays.
 * Only the host's file queue, while it is what plays, can be driven from a lock screen: a listener
 * follows the host, and a tab, a microphone or the click track has no pause or next of its own.
 */
export function lockScreenState(
  room: { code: string; role: Role; hasFileQueue: boolean } | null,
  np: NowPlaying | null,
  nowMs: number,
): LockScreenState {
  if (!room) return NO_LOCK_SCREEN;
  const title = nowPlayingTitle(np);
  const info: LockScreenInfo = {
    title: title ?? WAITING_FOR_HOST,
    artist: (title !== null ? np?.artist : undefined) ?? '',
    album: `JamSesh · ${formatRoomCode(room.code)}`,
  };
  const playing = title !== null && np?.playing === true;
  const queue = room.role === 'host' && room.hasFileQueue && np?.source === 'file';
  return {
    info,
    playback: title === null ? 'none' : playing ? 'playing' : 'paused',
    actions: queue ? ['play', 'pause', 'nexttrack', 'previoustrack'] : [],
    position: np && title !== null ? filePosition(np, nowMs) : null,
  };
}

/** Where a file is now: the host's last report advanced by the time since (as the room page shows it). */
function filePosition(np: NowPlaying, nowMs: number): LockScreenState['position'] {
  if (np.source !== 'file' || np.durationMs === undefined || np.durationMs <= 0) return null;
  const elapsed = np.playing ? Math.max(0, nowMs - np.at) : 0;
  const positionMs = Math.min(np.durationMs, (np.positionMs ?? 0) + elapsed);
  return { durationS: np.durationMs / 1000, positionS: positionMs / 1000 };
}
