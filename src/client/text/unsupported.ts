import type { AudioFeature, AudioSupport } from '../media/audioSupport.js';

const FEATURE_NAMES: Record<AudioFeature, string> = {
  audioContext: 'Web Audio',
  audioWorklet: 'AudioWorklet',
  webCodecs: 'WebCodecs',
  worker: 'Web Workers',
  webRtc: 'WebRTC',
};

/** What the page says when this device cannot play synced audio; `link` follows the text. */
export interface UnsupportedWords {
  text: string;
  link: string | null;
}

/**
 * In plain words, why there is no sound here and what to do. `secureUrl` is the server's public
 * https address when it has one (the `welcome` message), `path` this page's path (a join link
 * keeps its code).
 */
export function describeUnsupported(
  support: Exclude<AudioSupport, { ok: true }>,
  secureUrl: string | null,
  path: string,
): UnsupportedWords {
  if (support.cause === 'missing') {
    const names = support.missing.map((f) => FEATURE_NAMES[f]).join(', ');
    return {
      text: `This browser cannot play synced audio (it lacks ${names}). Chat works; for sound, try a recent Chrome, Edge or Safari.`,
      link: null,
    };
  }
  const why =
    'This page cannot play synced audio: it was opened over plain http at a network address, where browsers switch off what it needs. Chat works;';
  if (secureUrl?.startsWith('https://')) {
    return { text: `${why} for sound, open`, link: `${secureUrl.replace(/\/+$/, '')}${path}` };
  }
  return { text: `${why} for sound, open this page with https:// instead.`, link: null };
}
