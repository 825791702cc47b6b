import { describe, expect, it } from 'vitest';
import type { Capabilities, SourceSupport } from '../media/capabilities.js';
import { describeCapabilities, sourceUnavailable } from './capabilities.js';

const OK = { ok: true } as const;
const UNAVAILABLE: SourceSupport = { ok: false, cause: 'unavailable' };
const CANNOT: SourceSupport = { ok: false, cause: 'cannot-host' };
const EVERYTHING: Capabilities = {
  listen: OK,
  decoder: 'webcodecs',
  host: OK,
  sources: { tab: OK, file: OK, mic: OK, test: OK },
  mobile: false,
};
const PHONE: Capabilities = {
  ...EVERYTHING,
  sources: { ...EVERYTHING.sources, tab: UNAVAILABLE },
  mobile: true,
};

describe('what the pages say this device can do', () => {
  it('says a browser with every source can host and listen, with nothing more to explain', () => {
    expect(describeCapabilities(EVERYTHING)).toEqual({
      text: 'This browser can host and listen.',
      complete: true,
    });
  });

  it('tells a phone it can listen, and which sources it can host music from', () => {
    expect(describeCapabilities(PHONE)).toEqual({
      text: 'This phone can listen; to host music from it, use Files or Mic.',
      complete: false,
    });
    expect(describeCapabilities({ ...PHONE, mobile: false })?.text).toBe(
      'This browser can listen; to host music from it, use Files or Mic.',
    );
    expect(describeCapabilities({ ...PHONE, sources: { ...PHONE.sources, mic: UNAVAILABLE } })?.text).toBe(
      'This phone can listen; to host music from it, use Files.',
    );
  });

  it('says when only the click track is left to host', () => {
    const sources = { tab: UNAVAILABLE, file: UNAVAILABLE, mic: UNAVAILABLE, test: OK };
    expect(describeCapabilities({ ...EVERYTHING, sources })?.text).toBe(
      'This browser can listen; as a host it can play only the click track.',
    );
  });

  it('says a browser without an Opus encoder can listen but not host, and what it lacks', () => {
    const caps: Capabilities = {
      ...EVERYTHING,
      host: { ok: false, cause: 'missing', missing: ['opusEncoder'] },
      sources: { tab: CANNOT, file: CANNOT, mic: CANNOT, test: CANNOT },
    };
    expect(describeCapabilities(caps)).toEqual({
      text: 'This browser can listen but not host (it lacks WebCodecs Opus encoding).',
      complete: false,
    });
  });

  it("says a browser without WebCodecs audio decoding listens with the app's own decoder", () => {
    // Firefox on Android: no WebCodecs audio at all, so it decodes in WebAssembly and cannot encode.
    const caps: Capabilities = {
      ...PHONE,
      decoder: 'wasm',
      host: { ok: false, cause: 'missing', missing: ['opusEncoder'] },
      sources: { tab: CANNOT, file: CANNOT, mic: CANNOT, test: CANNOT },
    };
    expect(describeCapabilities(caps)?.text).toBe(
      "This phone can listen (with the app's own Opus decoder) but not host (it lacks WebCodecs Opus encoding).",
    );
    expect(describeCapabilities({ ...EVERYTHING, decoder: 'wasm' })?.text).toBe(
      "This browser can host and listen (with the app's own Opus decoder).",
    );
  });

  it('leaves a device that cannot listen to the words on why there is no sound', () => {
    expect(
      describeCapabilities({ ...EVERYTHING, listen: { ok: false, cause: 'insecure-context' } }),
    ).toBeNull();
  });
});

describe('why a source is not offered', () => {
  it('names the browsers that share a tab with its sound', () => {
    expect(sourceUnavailable('tab', UNAVAILABLE)).toBe(
      "Sharing a tab's sound needs Chrome, Edge or Opera on a computer.",
    );
  });

  it('has words for every source a browser may lack, and none for one it offers', () => {
    expect(sourceUnavailable('file', UNAVAILABLE)).toBe('This browser cannot play local files.');
    expect(sourceUnavailable('mic', UNAVAILABLE)).toBe('This browser gives this page no microphone.');
    expect(sourceUnavailable('mic', OK)).toBeNull();
  });

  it('says nothing per source on a device that cannot host at all (that is said once, above)', () => {
    expect(sourceUnavailable('tab', CANNOT)).toBeNull();
  });
});
