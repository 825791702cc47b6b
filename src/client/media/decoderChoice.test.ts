import { describe, expect, it } from 'vitest';
import { chooseDecoder, decoderSetting } from './decoderChoice.js';

const WEBCODECS_AND_WASM = { opusDecoder: true, webAssembly: true };
const WASM_ONLY = { opusDecoder: false, webAssembly: true };
const WEBCODECS_ONLY = { opusDecoder: true, webAssembly: false };
const NEITHER = { opusDecoder: false, webAssembly: false };

describe('which Opus decoder a device runs', () => {
  it("takes the browser's WebCodecs decoder where it takes our stream", () => {
    expect(chooseDecoder(WEBCODECS_AND_WASM, 'auto')).toBe('webcodecs');
    expect(chooseDecoder(WEBCODECS_ONLY, 'auto')).toBe('webcodecs');
  });

  it('falls back to WebAssembly where AudioDecoder is missing or refuses Opus 48 kHz stereo', () => {
    expect(chooseDecoder(WASM_ONLY, 'auto')).toBe('wasm');
  });

  it('runs WebAssembly when forced, even where WebCodecs could', () => {
    expect(chooseDecoder(WEBCODECS_AND_WASM, 'wasm')).toBe('wasm');
    expect(chooseDecoder(WASM_ONLY, 'wasm')).toBe('wasm');
  });

  it('keeps WebCodecs when WebAssembly is forced but missing: the setting cannot take sound away', () => {
    expect(chooseDecoder(WEBCODECS_ONLY, 'wasm')).toBe('webcodecs');
  });

  it('has none where the browser has neither', () => {
    expect(chooseDecoder(NEITHER, 'auto')).toBeNull();
    expect(chooseDecoder(NEITHER, 'wasm')).toBeNull();
  });
});

describe('the decoder setting', () => {
  it('is auto unless something asks for WebAssembly', () => {
    expect(decoderSetting('', null)).toBe('auto');
    expect(decoderSetting('?latency=playback', null)).toBe('auto');
  });

  it('is what this device remembers (the expert setting)', () => {
    expect(decoderSetting('', 'wasm')).toBe('wasm');
    expect(decoderSetting('', 'auto')).toBe('auto');
  });

  it("takes this page's ?decoder= over what the device remembers", () => {
    expect(decoderSetting('?decoder=wasm', null)).toBe('wasm');
    expect(decoderSetting('?latency=playback&decoder=wasm', 'auto')).toBe('wasm');
    expect(decoderSetting('?decoder=auto', 'wasm')).toBe('auto');
  });

  it('takes anything it does not know for auto, from the address or from storage', () => {
    expect(decoderSetting('?decoder=ffmpeg', 'wasm')).toBe('wasm');
    expect(decoderSetting('?decoder=WASM', null)).toBe('auto');
    expect(decoderSetting('', 'something else')).toBe('auto');
  });
});
