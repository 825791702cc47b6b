import { describe, expect, it } from 'vitest';
import {
  type BrowserFeatures,
  type Capabilities,
  capabilities,
  detectFeatures,
  OPUS_DECODER_CONFIG,
  OPUS_ENCODER_CONFIG,
  readFeatures,
} from './capabilities.js';

const fn = () => {};

/** A WebCodecs class with its static isConfigSupported (a constructor the detection never calls). */
function codecClass(isConfigSupported: (config: { codec: string }) => Promise<unknown>) {
  return Object.assign(function WebCodec() {}, { isConfigSupported });
}

/** A WebCodecs class that says `supported` for Opus, and records what it was asked. */
function codec(supported: boolean) {
  const asked: unknown[] = [];
  return Object.assign(
    codecClass(async (config) => {
      asked.push(config);
      return { supported: supported && config.codec === 'opus', config };
    }),
    { asked },
  );
}

/** The globals a browser gives a page, as far as capability detection reads them. */
function browser(parts: {
  secure?: boolean;
  webCodecs?: 'both' | 'none';
  mediaDevices?: Record<string, unknown> | undefined;
  userAgent: string;
  userAgentData?: unknown;
  trackProcessor?: boolean;
  /** Every browser that could play has WebAssembly; a scope without it stands for one that has not. */
  webAssembly?: boolean;
}): Record<string, unknown> {
  const codecs = parts.webCodecs !== 'none';
  return {
    isSecureContext: parts.secure ?? true,
    AudioContext: fn,
    AudioWorklet: fn,
    AudioWorkletNode: fn,
    Worker: fn,
    RTCPeerConnection: fn,
    File: fn,
    HTMLAudioElement: fn,
    AudioDecoder: codecs ? codec(true) : undefined,
    AudioEncoder: codecs ? codec(true) : undefined,
    MediaStreamTrackProcessor: parts.trackProcessor ? fn : undefined,
    WebAssembly: parts.webAssembly === false ? undefined : { instantiate: fn, compile: fn },
    navigator: {
      userAgent: parts.userAgent,
      userAgentData: parts.userAgentData,
      mediaDevices: parts.mediaDevices,
    },
  };
}

const BOTH_CAPTURES = { getUserMedia: fn, getDisplayMedia: fn };

const CHROME_DESKTOP = browser({
  userAgent:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36',
  userAgentData: {
    brands: [
      { brand: 'Chromium', version: '140' },
      { brand: 'Google Chrome', version: '140' },
      { brand: 'Not?A_Brand', version: '24' },
    ],
    mobile: false,
    platform: 'Windows',
  },
  mediaDevices: BOTH_CAPTURES,
  trackProcessor: true,
});
/** Debian's headless Chromium, as the E2E tests run it (brands and platform read from it). */
const HEADLESS_CHROMIUM = browser({
  userAgent:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36',
  userAgentData: {
    brands: [
      { brand: 'Not:A-Brand', version: '8' },
      { brand: 'Chromium', version: '156' },
    ],
    mobile: false,
    platform: 'Linux',
  },
  mediaDevices: BOTH_CAPTURES,
  trackProcessor: true,
});
const CHROME_ANDROID = browser({
  userAgent:
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36',
  userAgentData: {
    brands: [
      { brand: 'Chromium', version: '140' },
      { brand: 'Google Chrome', version: '140' },
    ],
    mobile: true,
    platform: 'Android',
  },
  mediaDevices: { getUserMedia: fn },
  trackProcessor: true,
});
// Firefox has getDisplayMedia, but it never shares sound; and no User-Agent Client Hints.
const FIREFOX_DESKTOP = browser({
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0',
  mediaDevices: BOTH_CAPTURES,
});
const FIREFOX_ANDROID = browser({
  userAgent: 'Mozilla/5.0 (Android 14; Mobile; rv:140.0) Gecko/140.0 Firefox/140.0',
  webCodecs: 'none',
  mediaDevices: { getUserMedia: fn },
});
const SAFARI_26_MAC = browser({
  userAgent:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Safari/605.1.15',
  mediaDevices: BOTH_CAPTURES,
});
const SAFARI_26_IPHONE = browser({
  userAgent:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 26_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Mobile/15E148 Safari/604.1',
  mediaDevices: { getUserMedia: fn },
});
const SAFARI_18_IPHONE = browser({
  userAgent:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Mobile/15E148 Safari/604.1',
  webCodecs: 'none',
  mediaDevices: { getUserMedia: fn },
});
/**
 * Chromium at http://<LAN address>: Web Audio, WebRTC and WebAssembly, but no AudioWorklet (though
 * it keeps AudioWorkletNode's constructor, measured in Chromium 156), codecs, capture or Client Hints.
 */
const CHROMIUM_INSECURE = {
  ...browser({
    secure: false,
    webCodecs: 'none',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0',
    mediaDevices: undefined,
  }),
  AudioWorklet: undefined,
};

const detect = async (scope: Record<string, unknown>): Promise<Capabilities> =>
  capabilities(await detectFeatures(scope));

const EVERY_SOURCE = { tab: { ok: true }, file: { ok: true }, mic: { ok: true }, test: { ok: true } };
const NO_TAB = { ...EVERY_SOURCE, tab: { ok: false, cause: 'unavailable' } };
const CANNOT_HOST = {
  tab: { ok: false, cause: 'cannot-host' },
  file: { ok: false, cause: 'cannot-host' },
  mic: { ok: false, cause: 'cannot-host' },
  test: { ok: false, cause: 'cannot-host' },
};

describe('what a device can do in a jam, by browser', () => {
  it('Chromium on a computer listens, hosts, and offers every source', async () => {
    for (const scope of [CHROME_DESKTOP, HEADLESS_CHROMIUM]) {
      expect(await detect(scope)).toEqual({
        listen: { ok: true },
        decoder: 'webcodecs',
        host: { ok: true },
        sources: EVERY_SOURCE,
        mobile: false,
      });
    }
  });

  it('Chrome on Android listens and hosts from files, mic and the click track, not a tab', async () => {
    expect(await detect(CHROME_ANDROID)).toEqual({
      listen: { ok: true },
      decoder: 'webcodecs',
      host: { ok: true },
      sources: NO_TAB,
      mobile: true,
    });
  });

  it('Firefox on a computer listens and hosts, but shares no tab: its screen sharing has no sound', async () => {
    // Nor has it MediaStreamTrackProcessor, which no role needs (calibration takes the Web Audio path).
    expect(await detect(FIREFOX_DESKTOP)).toEqual({
      listen: { ok: true },
      decoder: 'webcodecs',
      host: { ok: true },
      sources: NO_TAB,
      mobile: false,
    });
  });

  it('Firefox on Android listens through the WebAssembly decoder but cannot host: it has no WebCodecs audio', async () => {
    expect(await detect(FIREFOX_ANDROID)).toEqual({
      listen: { ok: true },
      decoder: 'wasm',
      host: { ok: false, cause: 'missing', missing: ['opusEncoder'] },
      sources: CANNOT_HOST,
      mobile: true,
    });
  });

  it('Safari 26 listens and hosts, on a Mac and an iPhone, but shares no tab', async () => {
    expect(await detect(SAFARI_26_MAC)).toEqual({
      listen: { ok: true },
      decoder: 'webcodecs',
      host: { ok: true },
      sources: NO_TAB,
      mobile: false,
    });
    expect((await detect(SAFARI_26_IPHONE)).sources).toEqual(NO_TAB);
    expect((await detect(SAFARI_26_IPHONE)).mobile).toBe(true);
  });

  it('Safari before 26 (older iPhones) listens through the WebAssembly decoder but cannot host', async () => {
    const caps = await detect(SAFARI_18_IPHONE);
    expect(caps.listen).toEqual({ ok: true });
    expect(caps.decoder).toBe('wasm');
    expect(caps.host).toEqual({ ok: false, cause: 'missing', missing: ['opusEncoder'] });
    expect(caps.sources).toEqual(CANNOT_HOST);
  });

  it('a browser with neither WebCodecs audio nor WebAssembly can neither listen nor host', async () => {
    const caps = await detect({ ...SAFARI_18_IPHONE, WebAssembly: undefined });
    expect(caps.listen).toEqual({ ok: false, cause: 'missing', missing: ['opusDecoder'] });
    expect(caps.decoder).toBeNull();
    expect(caps.host).toEqual({ ok: false, cause: 'missing', missing: ['opusDecoder', 'opusEncoder'] });
  });

  it('blames the plain-http address, not the parts it hides, in a page that is not a secure context', async () => {
    expect(await detect(CHROMIUM_INSECURE)).toEqual({
      listen: { ok: false, cause: 'insecure-context' },
      decoder: null,
      host: { ok: false, cause: 'insecure-context' },
      sources: CANNOT_HOST,
      mobile: false,
    });
  });
});

describe('asking the codecs', () => {
  it('asks the decoder and the encoder about the Opus stream the media worker makes', async () => {
    const Decoder = codec(true);
    const Encoder = codec(true);
    await detectFeatures({ ...CHROME_DESKTOP, AudioDecoder: Decoder, AudioEncoder: Encoder });
    expect(Decoder.asked).toEqual([{ codec: 'opus', sampleRate: 48_000, numberOfChannels: 2 }]);
    expect(Encoder.asked).toEqual([OPUS_ENCODER_CONFIG]);
    expect(OPUS_ENCODER_CONFIG).toMatchObject({ ...OPUS_DECODER_CONFIG, opus: { frameDuration: 10_000 } });
  });

  it('a decoder that refuses Opus leaves listening to WebAssembly; an encoder that refuses it cannot host', async () => {
    const noDecode = await detect({ ...CHROME_DESKTOP, AudioDecoder: codec(false) });
    expect(noDecode.listen).toEqual({ ok: true });
    expect(noDecode.decoder).toBe('wasm');
    expect(noDecode.host).toEqual({ ok: true });
    const neither = await detect({ ...CHROME_DESKTOP, AudioDecoder: codec(false), WebAssembly: undefined });
    expect(neither.listen).toEqual({ ok: false, cause: 'missing', missing: ['opusDecoder'] });
    const noEncode = await detect({ ...CHROME_DESKTOP, AudioEncoder: codec(false) });
    expect(noEncode.listen).toEqual({ ok: true });
    expect(noEncode.host).toEqual({ ok: false, cause: 'missing', missing: ['opusEncoder'] });
    expect(noEncode.sources).toEqual(CANNOT_HOST);
  });

  it('takes a codec whose check throws or rejects as not there', async () => {
    const Throws = codecClass(() => {
      throw new TypeError('bad config');
    });
    const Rejects = codecClass(() => Promise.reject(new DOMException('nope', 'NotSupportedError')));
    const f = await detectFeatures({ ...CHROME_DESKTOP, AudioDecoder: Throws, AudioEncoder: Rejects });
    expect([f.opusDecoder, f.opusEncoder]).toEqual([false, false]);
  });

  it('counts the codecs by their constructors until they are asked', () => {
    expect(readFeatures(CHROME_DESKTOP).opusDecoder).toBe(true);
    expect(readFeatures({ ...CHROME_DESKTOP, AudioDecoder: codec(false) }).opusDecoder).toBe(true);
    expect(readFeatures(FIREFOX_ANDROID).opusDecoder).toBe(false);
  });
});

describe('reading the features', () => {
  const ALL: BrowserFeatures = {
    secureContext: true,
    audioContext: true,
    audioWorklet: true,
    worker: true,
    webRtc: true,
    opusDecoder: true,
    webAssembly: true,
    opusEncoder: true,
    microphone: true,
    displayMedia: true,
    desktopChromium: true,
    files: true,
    mobile: false,
  };

  it('reads each feature from the global scope', () => {
    expect(readFeatures(CHROME_DESKTOP)).toEqual(ALL);
    expect(
      readFeatures({
        ...CHROME_DESKTOP,
        Worker: undefined,
        HTMLAudioElement: undefined,
        WebAssembly: undefined,
      }),
    ).toEqual({ ...ALL, worker: false, files: false, webAssembly: false });
  });

  it('lists what a browser lacks in a secure page, in a fixed order', () => {
    const caps = capabilities({
      ...ALL,
      webRtc: false,
      opusDecoder: false,
      webAssembly: false,
      audioWorklet: false,
    });
    expect(caps.listen).toEqual({
      ok: false,
      cause: 'missing',
      missing: ['audioWorklet', 'webRtc', 'opusDecoder'],
    });
  });

  it('plays in a page that is not a secure context if the browser still has everything', () => {
    expect(capabilities({ ...ALL, secureContext: false }).host).toEqual({ ok: true });
  });

  it('takes a browser from before secure contexts as secure, and lists what it lacks', () => {
    const old = { AudioContext: fn, Worker: fn, RTCPeerConnection: fn, navigator: { userAgent: 'Old/1.0' } };
    expect(capabilities(readFeatures(old)).listen).toEqual({
      ok: false,
      cause: 'missing',
      missing: ['audioWorklet', 'opusDecoder'],
    });
  });

  it('takes no one but Chromium on a computer for a browser that shares sound with the screen', () => {
    const hints = (brands: string[], mobile: boolean, platform: string) =>
      readFeatures({
        ...CHROME_DESKTOP,
        navigator: {
          userAgent: '',
          mediaDevices: BOTH_CAPTURES,
          userAgentData: { brands: brands.map((brand) => ({ brand, version: '1' })), mobile, platform },
        },
      }).desktopChromium;
    expect(hints(['Chromium', 'Microsoft Edge'], false, 'macOS')).toBe(true);
    expect(hints(['Chromium', 'Opera'], false, 'Chrome OS')).toBe(true);
    expect(hints(['Chromium', 'Google Chrome'], true, 'Android')).toBe(false);
    // An Android tablet asks for desktop pages, but its Chrome has no screen sharing with sound.
    expect(hints(['Chromium', 'Google Chrome'], false, 'Android')).toBe(false);
    expect(hints(['Not A Brand'], false, 'Linux')).toBe(false);
    expect(readFeatures(FIREFOX_DESKTOP).desktopChromium).toBe(false);
    expect(readFeatures(SAFARI_26_MAC).desktopChromium).toBe(false);
  });

  it('says phone from the Client Hints where there are some, else from the user agent', () => {
    expect(readFeatures(CHROME_ANDROID).mobile).toBe(true);
    expect(readFeatures(FIREFOX_ANDROID).mobile).toBe(true);
    expect(readFeatures(SAFARI_18_IPHONE).mobile).toBe(true);
    expect(readFeatures(FIREFOX_DESKTOP).mobile).toBe(false);
    expect(readFeatures(SAFARI_26_MAC).mobile).toBe(false);
  });
});
