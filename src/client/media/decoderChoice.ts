/**
 * Which Opus decoder this device's media worker uses. WebCodecs where the browser has one that
 * takes our stream; else libopus in WebAssembly (worker/WasmOpus.ts). The person can force the
 * WebAssembly one (the expert setting, remembered on this device, or `?decoder=wasm` for one
 * page): the same frames, stamps and sync either way, so it is a way to check that path, or to get
 * round a browser whose own decoder misbehaves.
 */

/** A decoder the worker can run. */
export type DecoderKind = 'webcodecs' | 'wasm';
/** What the person asked for: the best this browser has, or WebAssembly whatever it has. */
export type DecoderSetting = 'auto' | 'wasm';

export const DECODER_SETTING_KEY = 'jamsesh.decoder';

/** What the choice depends on (BrowserFeatures' names). */
export interface DecoderFeatures {
  /** WebCodecs AudioDecoder that takes Opus at 48 kHz stereo. */
  opusDecoder: boolean;
  /** WebAssembly, which the WebAssembly decoder runs on. */
  webAssembly: boolean;
}

/** The decoder to use, or null if this browser has none. */
export function chooseDecoder(features: DecoderFeatures, setting: DecoderSetting): DecoderKind | null {
  if (setting === 'wasm' && features.webAssembly) return 'wasm';
  if (features.opusDecoder) return 'webcodecs';
  return features.webAssembly ? 'wasm' : null;
}

/**
 * The setting in force: this page's `?decoder=` (wasm or auto) if it names one, else the one this
 * device remembers, else auto. Anything else is taken for auto.
 */
export function decoderSetting(search: string, stored: string | null): DecoderSetting {
  const asked = new URLSearchParams(search).get('decoder');
  const value = asked === 'wasm' || asked === 'auto' ? asked : stored;
  return value === 'wasm' ? 'wasm' : 'auto';
}

/** This page's setting (location and localStorage). */
export function readDecoderSetting(): DecoderSetting {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(DECODER_SETTING_KEY);
  } catch {
    // Storage switched off: the page's own address still counts.
  }
  return decoderSetting(location.search, stored);
}

/** Remembers the person's choice on this device. */
export function storeDecoderSetting(setting: DecoderSetting): void {
  try {
    if (setting === 'auto') localStorage.removeItem(DECODER_SETTING_KEY);
    else localStorage.setItem(DECODER_SETTING_KEY, setting);
  } catch {
    // Private mode: the setting lasts for this page only.
  }
}
