import type { NowPlaying } from '../../protocol/media.js';

const SOURCE_NAMES: Record<NowPlaying['source'], string> = {
  none: 'Nothing playing',
  tab: 'Tab or system audio',
  file: 'Files',
  mic: 'Microphone / line-in',
  test: 'Click track',
};

export const WAITING_FOR_HOST = 'Waiting for the host to play something';

/** The title of what plays, as the room page and the lock screen show it; null when nothing does. */
export function nowPlayingTitle(np: NowPlaying | null): string | null {
  if (!np || np.source === 'none') return null;
  return np.title ?? SOURCE_NAMES[np.source];
}
