import { describe, expect, it } from 'vitest';
import { type AudioFeatures, audioSupport, detectAudioFeatures } from './audioSupport.js';

const ALL: AudioFeatures = {
  secureContext: true,
  audioContext: true,
  audioWorklet: true,
  webCodecs: true,
  worker: true,
  webRtc: true,
};
const fn = () => {};

describe('audioSupport', () => {
  it('plays where the browser has everything the engine needs', () => {
    expect(audioSupport(ALL)).toEqual({ ok: true });
  });

  it('blames the plain-http address, not the parts it hides, in a page that is not a secure context', () => {
    // What Chromium offers at http://<LAN address>: Web Audio and WebRTC, but no worklet and no codecs.
    expect(audioSupport({ ...ALL, secureContext: false, audioWorklet: false, webCodecs: false })).toEqual({
      ok: false,
      cause: 'insecure-context',
    });
  });

  it('plays in a page that is not a secure context if the browser still has everything', () => {
    expect(audioSupport({ ...ALL, secureContext: false })).toEqual({ ok: true });
  });

  it('lists what a browser lacks in a secure page, in a fixed order', () => {
    expect(audioSupport({ ...ALL, webRtc: false, webCodecs: false })).toEqual({
      ok: false,
      cause: 'missing',
      missing: ['webCodecs', 'webRtc'],
    });
    expect(audioSupport({ ...ALL, audioWorklet: false })).toEqual({
      ok: false,
      cause: 'missing',
      missing: ['audioWorklet'],
    });
  });
});

describe('detectAudioFeatures', () => {
  it('reads each feature from the global scope', () => {
    const full = {
      isSecureContext: true,
      AudioContext: fn,
      AudioWorkletNode: fn,
      AudioEncoder: fn,
      AudioDecoder: fn,
      Worker: fn,
      RTCPeerConnection: fn,
    };
    expect(detectAudioFeatures(full)).toEqual(ALL);
    expect(detectAudioFeatures({ ...full, isSecureContext: false, AudioWorkletNode: undefined })).toEqual({
      ...ALL,
      secureContext: false,
      audioWorklet: false,
    });
  });

  it('needs both halves of WebCodecs: an encoder without a decoder is not enough', () => {
    const scope = { isSecureContext: true, AudioEncoder: fn, AudioDecoder: undefined };
    expect(detectAudioFeatures(scope).webCodecs).toBe(false);
  });

  it('takes a browser from before secure contexts as secure, and lists what it lacks', () => {
    expect(
      audioSupport(detectAudioFeatures({ AudioContext: fn, Worker: fn, RTCPeerConnection: fn })),
    ).toEqual({
      ok: false,
      cause: 'missing',
      missing: ['audioWorklet', 'webCodecs'],
    });
  });
});
