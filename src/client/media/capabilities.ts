import { BITRATE_LADDER, FRAME_SAMPLES, MEDIA_SAMPLE_RATE, START_RUNG } from '../../protocol/mediaWire.js';
import { chooseDecoder, type DecoderKind } from './decoderChoice.js';
import { OPUS_CONFIG } from './worker/OpusBackend.js';

/**
 * What this device can do in a jam, by role, decided once when the page loads from what the
 * browser offers. A listener decodes and plays (with WebCodecs, or else with the WebAssembly
 * decoder the app brings); a host also encodes (it decodes its own stream too, so its codec delay
 * matches the room's) and offers some of the sources. Browsers give a page
 * opened over plain http at a network address (not localhost) no secure context, and with it no
 * AudioWorklet, WebCodecs or capture: then the cause to tell is the address, not the parts.
 */

/** What the roles need and the sources use, read from a global scope (readFeatures, detectFeatures). */
export interface BrowserFeatures {
  /** `isSecureContext`: https, or http on a loopback name. */
  secureContext: boolean;
  /** AudioContext: the output. */
  audioContext: boolean;
  /**
   * AudioWorklet (what `ctx.audioWorklet` is) and AudioWorkletNode: the playout and capture
   * worklets. Chromium keeps the node's constructor in a page that is not a secure context, where
   * `audioWorklet` is missing (measured here): the node alone does not tell.
   */
  audioWorklet: boolean;
  /** Module workers: the media worker. */
  worker: boolean;
  /** RTCPeerConnection: the link between host and listener. */
  webRtc: boolean;
  /** WebCodecs AudioDecoder that takes Opus at 48 kHz stereo: the media worker decodes every frame. */
  opusDecoder: boolean;
  /** WebAssembly: where there is no such AudioDecoder, the media worker decodes with libopus in it. */
  webAssembly: boolean;
  /** WebCodecs AudioEncoder that makes 10 ms Opus packets at 48 kHz stereo: the host's stream. */
  opusEncoder: boolean;
  /** `navigator.mediaDevices.getUserMedia`: microphone or line-in. */
  microphone: boolean;
  /** `navigator.mediaDevices.getDisplayMedia`: screen sharing (with sound only where desktopChromium). */
  displayMedia: boolean;
  /** Chromium on a computer: the only browser whose screen sharing shares a tab's or the system's sound. */
  desktopChromium: boolean;
  /** File and HTMLAudioElement: the file queue plays local files through a media element. */
  files: boolean;
  /** A phone (only for the words: "This phone can listen"). */
  mobile: boolean;
}

/**
 * What a role needs, in the order a lack of them is told. `opusDecoder` stands for a way to decode
 * Opus: WebCodecs, or WebAssembly to run the decoder that the app brings (decoderChoice.ts).
 */
export type RoleFeature =
  | 'audioContext'
  | 'audioWorklet'
  | 'worker'
  | 'webRtc'
  | 'opusDecoder'
  | 'opusEncoder';

export type RoleSupport =
  | { ok: true }
  /** Opened over plain http at a network address: the same page over https would do it. */
  | { ok: false; cause: 'insecure-context' }
  /** The browser itself lacks these. */
  | { ok: false; cause: 'missing'; missing: RoleFeature[] };

/** The sources a host picks from. */
export type HostSource = 'tab' | 'file' | 'mic' | 'test';
export const HOST_SOURCES: readonly HostSource[] = ['tab', 'file', 'mic', 'test'];

export type SourceSupport =
  | { ok: true }
  /** This device cannot host at all (`host` says why). */
  | { ok: false; cause: 'cannot-host' }
  /** It can host, but this browser offers no way to this source. */
  | { ok: false; cause: 'unavailable' };

export interface Capabilities {
  listen: RoleSupport;
  /** The Opus decoder this device uses unless told otherwise (null: it has none). */
  decoder: DecoderKind | null;
  host: RoleSupport;
  sources: Record<HostSource, SourceSupport>;
  mobile: boolean;
}

const LISTEN_NEEDS: readonly RoleFeature[] = [
  'audioContext',
  'audioWorklet',
  'worker',
  'webRtc',
  'opusDecoder',
];
const HOST_NEEDS: readonly RoleFeature[] = [...LISTEN_NEEDS, 'opusEncoder'];

function roleSupport(features: BrowserFeatures, needs: readonly RoleFeature[]): RoleSupport {
  const has = (f: RoleFeature) =>
    f === 'opusDecoder' ? chooseDecoder(features, 'auto') !== null : features[f];
  const missing = needs.filter((f) => !has(f));
  if (missing.length === 0) return { ok: true };
  if (!features.secureContext) return { ok: false, cause: 'insecure-context' };
  return { ok: false, cause: 'missing', missing };
}

export function capabilities(features: BrowserFeatures): Capabilities {
  const listen = roleSupport(features, LISTEN_NEEDS);
  const host = roleSupport(features, HOST_NEEDS);
  const offered: Record<HostSource, boolean> = {
    tab: features.displayMedia && features.desktopChromium,
    file: features.files,
    mic: features.microphone,
    // Made in the host's own AudioContext: wherever it can host.
    test: true,
  };
  const source = (s: HostSource): SourceSupport =>
    !host.ok
      ? { ok: false, cause: 'cannot-host' }
      : offered[s]
        ? { ok: true }
        : { ok: false, cause: 'unavailable' };
  return {
    listen,
    decoder: listen.ok ? chooseDecoder(features, 'auto') : null,
    host,
    sources: { tab: source('tab'), file: source('file'), mic: source('mic'), test: source('test') },
    mobile: features.mobile,
  };
}

/** The codec settings the media worker uses, as `isConfigSupported` is asked about them. */
export const OPUS_DECODER_CONFIG = OPUS_CONFIG;
export const OPUS_ENCODER_CONFIG = {
  ...OPUS_DECODER_CONFIG,
  bitrate: BITRATE_LADDER[START_RUNG],
  opus: { frameDuration: (FRAME_SAMPLES / MEDIA_SAMPLE_RATE) * 1e6 },
} as const;

interface UserAgentData {
  brands?: ReadonlyArray<{ brand?: unknown }>;
  mobile?: unknown;
  platform?: unknown;
}

/**
 * The features of a global scope (a page's `globalThis`, or a plain object describing a browser),
 * at once: the codecs count as there when their constructors are; detectFeatures asks them.
 */
export function readFeatures(scope: Record<string, unknown>): BrowserFeatures {
  const has = (name: string) => typeof scope[name] === 'function';
  const nav = (scope.navigator ?? {}) as Record<string, unknown>;
  const devices = (nav.mediaDevices ?? {}) as Record<string, unknown>;
  const uaData = nav.userAgentData as UserAgentData | undefined;
  const userAgent = typeof nav.userAgent === 'string' ? nav.userAgent : '';
  return {
    // A browser from before secure contexts has none of the rest either; those are what it lacks.
    secureContext: scope.isSecureContext !== false,
    audioContext: has('AudioContext'),
    audioWorklet: has('AudioWorklet') && has('AudioWorkletNode'),
    worker: has('Worker'),
    webRtc: has('RTCPeerConnection'),
    opusDecoder: has('AudioDecoder'),
    webAssembly:
      typeof (scope.WebAssembly as { instantiate?: unknown } | undefined)?.instantiate === 'function',
    opusEncoder: has('AudioEncoder'),
    microphone: typeof devices.getUserMedia === 'function',
    displayMedia: typeof devices.getDisplayMedia === 'function',
    desktopChromium: isDesktopChromium(uaData),
    files: has('File') && has('HTMLAudioElement'),
    mobile: typeof uaData?.mobile === 'boolean' ? uaData.mobile : /\bMobi/.test(userAgent),
  };
}

/**
 * Whether screen sharing can carry sound. No feature test tells: Firefox and desktop Safari have
 * getDisplayMedia too and share no audio. So this is the one place that asks who the browser is,
 * through User-Agent Client Hints, which only Chromium implements (from 90; every Chromium with
 * WebCodecs has them in a secure context); its brands always include "Chromium".
 */
function isDesktopChromium(uaData: UserAgentData | undefined): boolean {
  if (uaData?.mobile !== false || uaData.platform === 'Android') return false;
  return (uaData.brands ?? []).some((b) => b.brand === 'Chromium');
}

type ConfigCheck = (config: unknown) => Promise<{ supported?: boolean }>;

/** Whether the codec class in `scope[name]` takes `config`; a codec that throws or rejects does not. */
async function codecTakes(scope: Record<string, unknown>, name: string, config: unknown): Promise<boolean> {
  const codec = scope[name];
  if (typeof codec !== 'function') return false;
  const check = (codec as { isConfigSupported?: ConfigCheck }).isConfigSupported;
  // A browser that has the class but not the check (none known) is taken at its word.
  if (typeof check !== 'function') return true;
  try {
    return (await check.call(codec, config)).supported === true;
  } catch {
    return false;
  }
}

/** readFeatures, with the codecs asked whether they take the stream's Opus settings (async). */
export async function detectFeatures(scope: Record<string, unknown>): Promise<BrowserFeatures> {
  const [opusDecoder, opusEncoder] = await Promise.all([
    codecTakes(scope, 'AudioDecoder', OPUS_DECODER_CONFIG),
    codecTakes(scope, 'AudioEncoder', OPUS_ENCODER_CONFIG),
  ]);
  return { ...readFeatures(scope), opusDecoder, opusEncoder };
}
