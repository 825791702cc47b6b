/**
 * Whether this device can play synced audio, decided once from what the browser offers. Browsers
 * give a page opened over plain http at a network address (not localhost) no secure context, and
 * with it no AudioWorklet and no WebCodecs: then the cause to tell is the address, not the parts.
 */

/** What the audio engine needs from the browser (detectAudioFeatures reads them). */
export interface AudioFeatures {
  /** `isSecureContext`: https, or http on a loopback name. */
  secureContext: boolean;
  /** AudioContext: the output. */
  audioContext: boolean;
  /** AudioWorkletNode: the playout and capture worklets. */
  audioWorklet: boolean;
  /** WebCodecs AudioEncoder and AudioDecoder: Opus in the media worker. */
  webCodecs: boolean;
  /** Module workers: the media worker. */
  worker: boolean;
  /** RTCPeerConnection: the link between host and listener. */
  webRtc: boolean;
}

export type AudioFeature = Exclude<keyof AudioFeatures, 'secureContext'>;

export type AudioSupport =
  | { ok: true }
  /** Opened over plain http at a network address: the same page over https would play. */
  | { ok: false; cause: 'insecure-context' }
  /** The browser itself lacks these. */
  | { ok: false; cause: 'missing'; missing: AudioFeature[] };

const NEEDED: readonly AudioFeature[] = ['audioContext', 'audioWorklet', 'webCodecs', 'worker', 'webRtc'];

export function audioSupport(features: AudioFeatures): AudioSupport {
  const missing = NEEDED.filter((f) => !features[f]);
  if (missing.length === 0) return { ok: true };
  if (!features.secureContext) return { ok: false, cause: 'insecure-context' };
  return { ok: false, cause: 'missing', missing };
}

/** The features of a global scope (the page's `globalThis`). */
export function detectAudioFeatures(scope: Record<string, unknown>): AudioFeatures {
  const has = (name: string) => typeof scope[name] === 'function';
  return {
    // A browser from before secure contexts has none of the rest either; those are what it lacks.
    secureContext: scope.isSecureContext !== false,
    audioContext: has('AudioContext'),
    audioWorklet: has('AudioWorkletNode'),
    webCodecs: has('AudioEncoder') && has('AudioDecoder'),
    worker: has('Worker'),
    webRtc: has('RTCPeerConnection'),
  };
}
