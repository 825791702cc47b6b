import type { Capabilities, HostSource, SourceSupport } from '../media/capabilities.js';
import { featureNames } from './unsupported.js';

/** The host's sources for music (the click track is a test), as their buttons name them. */
const MUSIC_SOURCES: ReadonlyArray<[HostSource, string]> = [
  ['tab', 'Share a tab'],
  ['file', 'Files'],
  ['mic', 'Mic'],
];

/** What this device can do, in one line; `complete` when it can do everything (nothing to explain). */
export interface CapabilityWords {
  text: string;
  complete: boolean;
}

/**
 * What this device can do in a jam, said before anyone picks a role and again in the room: host
 * and listen, listen only, or host from fewer sources. A device that cannot listen is told why by
 * describeUnsupported instead.
 */
export function describeCapabilities(caps: Capabilities): CapabilityWords | null {
  if (!caps.listen.ok) return null;
  const device = caps.mobile ? 'This phone' : 'This browser';
  // Without WebCodecs audio decoding it listens all the same, through the decoder the app brings.
  const listen = caps.decoder === 'wasm' ? "listen (with the app's own Opus decoder)" : 'listen';
  if (!caps.host.ok) {
    const lacks = caps.host.cause === 'missing' ? ` (it lacks ${featureNames(caps.host.missing)})` : '';
    return { text: `${device} can ${listen} but not host${lacks}.`, complete: false };
  }
  const music = MUSIC_SOURCES.filter(([s]) => caps.sources[s].ok).map(([, name]) => name);
  if (music.length === MUSIC_SOURCES.length)
    return { text: `${device} can host and ${listen}.`, complete: true };
  if (music.length === 0) {
    return { text: `${device} can ${listen}; as a host it can play only the click track.`, complete: false };
  }
  return { text: `${device} can ${listen}; to host music from it, use ${orList(music)}.`, complete: false };
}

/** Why a source is not offered in the host's picker (null when it is, or when nothing is). */
export function sourceUnavailable(source: HostSource, support: SourceSupport): string | null {
  if (support.ok || support.cause === 'cannot-host') return null;
  switch (source) {
    case 'tab':
      return "Sharing a tab's sound needs Chrome, Edge or Opera on a computer.";
    case 'file':
      return 'This browser cannot play local files.';
    case 'mic':
      return 'This browser gives this page no microphone.';
    case 'test':
      return null;
  }
}

function orList(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}
