import type { RoleFeature, RoleSupport } from '../media/capabilities.js';

const FEATURE_NAMES: Record<RoleFeature, string> = {
  audioContext: 'Web Audio',
  audioWorklet: 'AudioWorklet',
  worker: 'Web Workers',
  webRtc: 'WebRTC',
  // Either would do: the app brings a WebAssembly decoder for browsers without WebCodecs audio.
  opusDecoder: 'Opus decoding (WebCodecs or WebAssembly)',
  opusEncoder: 'WebCodecs Opus encoding',
};

/** What the page says when this device cannot play synced audio; `link` follows the text. */
export interface UnsupportedWords {
  text: string;
  link: string | null;
}

/** The names of what a browser lacks, for the words. */
export function featureNames(missing: readonly RoleFeature[]): string {
  return missing.map((f) => FEATURE_NAMES[f]).join(', ');
}

/**
 * In plain words, why there is no sound here and what to do. `support` is this device's for its
 * role (a host that can listen but not host is told so); `secureUrl` is the server's public https
 * address when it has one (the `welcome` message), `path` this page's path (a join link keeps its
 * code).
 */
export function describeUnsupported(
  support: Exclude<RoleSupport, { ok: true }>,
  secureUrl: string | null,
  path: string,
  role: 'host' | 'listener' = 'listener',
): UnsupportedWords {
  if (support.cause === 'missing') {
    const names = featureNames(support.missing);
    // Listening needs all a host needs but the encoder: a host that lacks only that can listen.
    if (role === 'host' && support.missing.every((f) => f === 'opusEncoder')) {
      return {
        text: `This browser can listen but not host (it lacks ${names}). Chat works; to play music to the jam, host from a recent Chrome, Edge or Firefox on a computer.`,
        link: null,
      };
    }
    return {
      text: `This browser can neither listen nor host (it lacks ${names}). Chat works; for sound, try a recent Chrome, Edge or Safari.`,
      link: null,
    };
  }
  const why =
    'This page can neither listen nor host: it was opened over plain http at a network address, where browsers switch off what it needs. Chat works;';
  if (secureUrl?.startsWith('https://')) {
    return { text: `${why} for sound, open`, link: `${secureUrl.replace(/\/+$/, '')}${path}` };
  }
  return { text: `${why} for sound, open this page with https:// instead.`, link: null };
}
