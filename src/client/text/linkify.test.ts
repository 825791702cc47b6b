import { describe, expect, it } from 'vitest';
import { linkify } from './linkify.js';

const link = (text: string, href = text) => ({ kind: 'link', text, href });
const plain = (text: string) => ({ kind: 'text', text });

describe('linkify', () => {
  it('leaves text without links as one plain segment', () => {
    expect(linkify('hello there')).toEqual([plain('hello there')]);
  });

  it('gives nothing for empty text', () => {
    expect(linkify('')).toEqual([]);
  });

  it('turns http and https URLs into links, keeping the text around them', () => {
    expect(linkify('listen to https://example.com/song now')).toEqual([
      plain('listen to '),
      link('https://example.com/song'),
      plain(' now'),
    ]);
    expect(linkify('http://a.example/x?y=1#z')).toEqual([link('http://a.example/x?y=1#z')]);
  });

  it('finds several links in one message', () => {
    expect(linkify('https://a.example and https://b.example')).toEqual([
      link('https://a.example', 'https://a.example/'),
      plain(' and '),
      link('https://b.example', 'https://b.example/'),
    ]);
  });

  it('never links javascript:, data: or other schemes', () => {
    for (const text of [
      'javascript:alert(1)',
      'JavaScript:alert(document.cookie)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox',
      'file:///etc/passwd',
      'ftp://files.example/x',
    ]) {
      expect(linkify(text)).toEqual([plain(text)]);
    }
  });

  it('does not link an http URL glued to a word, such as a smuggled scheme', () => {
    expect(linkify('xhttp://evil.example')).toEqual([plain('xhttp://evil.example')]);
  });

  it('a javascript: prefix before a real https URL only ever yields the https link', () => {
    const segments = linkify('javascript:https://evil.example');
    expect(segments.filter((s) => s.kind === 'link').map((s) => (s.kind === 'link' ? s.href : ''))).toEqual([
      'https://evil.example/',
    ]);
  });

  it('keeps HTML-looking text as plain text, character for character', () => {
    const text = '<b>bold</b> <img src=x onerror=alert(1)> &amp; <script>alert(1)</script>';
    expect(linkify(text)).toEqual([plain(text)]);
  });

  it('stops a URL at a quote or angle bracket, so markup around it stays text', () => {
    expect(linkify('<a href="https://x.example/">')).toEqual([
      plain('<a href="'),
      link('https://x.example/'),
      plain('">'),
    ]);
    expect(linkify('<https://x.example/a>')).toEqual([plain('<'), link('https://x.example/a'), plain('>')]);
  });

  it('leaves sentence punctuation after a URL outside the link', () => {
    expect(linkify('see https://example.com/a.')).toEqual([
      plain('see '),
      link('https://example.com/a'),
      plain('.'),
    ]);
    expect(linkify('(https://example.com/a), ok?')).toEqual([
      plain('('),
      link('https://example.com/a'),
      plain('), ok?'),
    ]);
  });

  it('keeps balanced parentheses that belong to the URL', () => {
    const url = 'https://en.wikipedia.org/wiki/Jam_(music)';
    expect(linkify(`read ${url}`)).toEqual([plain('read '), link(url)]);
  });

  it('matches the scheme in any case and links to the normalised URL', () => {
    expect(linkify('HTTPS://Example.COM/Song')).toEqual([
      link('HTTPS://Example.COM/Song', 'https://example.com/Song'),
    ]);
  });

  it('leaves a bare scheme with no host as text', () => {
    expect(linkify('https:// nothing')).toEqual([plain('https:// nothing')]);
  });

  it('keeps line breaks in the plain text', () => {
    expect(linkify('one\ntwo https://x.example/\nthree')).toEqual([
      plain('one\ntwo '),
      link('https://x.example/'),
      plain('\nthree'),
    ]);
  });
});
