import { describe, expect, it } from 'vitest';
import { describeUnsupported } from './unsupported.js';

describe('what the page says when it cannot play synced audio', () => {
  it('names the plain-http address as the cause, and says to open it with https://', () => {
    const words = describeUnsupported({ ok: false, cause: 'insecure-context' }, null, '/join/ABC234');
    expect(words.text).toBe(
      'This page can neither listen nor host: it was opened over plain http at a network address, where browsers switch off what it needs. Chat works; for sound, open this page with https:// instead.',
    );
    expect(words.link).toBeNull();
  });

  it("links to the same page at the server's https address when the server has one", () => {
    const words = describeUnsupported(
      { ok: false, cause: 'insecure-context' },
      'https://jam.example.org/',
      '/join/ABC234',
    );
    expect(words.text.endsWith('for sound, open')).toBe(true);
    expect(words.link).toBe('https://jam.example.org/join/ABC234');
  });

  it('never links to an address that is not https', () => {
    const words = describeUnsupported(
      { ok: false, cause: 'insecure-context' },
      'http://jam.example.org',
      '/',
    );
    expect(words.link).toBeNull();
    expect(words.text).toContain('open this page with https:// instead');
  });

  it('names what a browser lacks, and which browsers play', () => {
    const words = describeUnsupported(
      { ok: false, cause: 'missing', missing: ['audioWorklet', 'opusDecoder'] },
      null,
      '/',
    );
    expect(words).toEqual({
      text: 'This browser can neither listen nor host (it lacks AudioWorklet, Opus decoding (WebCodecs or WebAssembly)). Chat works; for sound, try a recent Chrome, Edge or Safari.',
      link: null,
    });
  });

  it('tells a host whose browser lacks only the encoder that it can listen, and where to host from', () => {
    const words = describeUnsupported(
      { ok: false, cause: 'missing', missing: ['opusEncoder'] },
      null,
      '/',
      'host',
    );
    expect(words.text).toBe(
      'This browser can listen but not host (it lacks WebCodecs Opus encoding). Chat works; to play music to the jam, host from a recent Chrome, Edge or Firefox on a computer.',
    );
  });

  it('tells a host whose browser cannot listen either that it can do neither', () => {
    const words = describeUnsupported(
      { ok: false, cause: 'missing', missing: ['opusDecoder', 'opusEncoder'] },
      null,
      '/',
      'host',
    );
    expect(words.text).toContain(
      'can neither listen nor host (it lacks Opus decoding (WebCodecs or WebAssembly), WebCodecs Opus encoding)',
    );
  });
});
