import { describe, expect, it } from 'vitest';
import { joinLink, joinPath, parseRoute } from './route.js';

describe('parseRoute', () => {
  it('the root is the start page with no code', () => {
    expect(parseRoute('/')).toEqual({ code: null, codeText: '' });
    expect(parseRoute('/anything/else')).toEqual({ code: null, codeText: '' });
  });

  it('/join/CODE gives the canonical code and shows it formatted', () => {
    expect(parseRoute('/join/K7Q4MZ')).toEqual({ code: 'K7Q4MZ', codeText: 'K7Q 4MZ' });
  });

  it('normalises a code typed or read loosely: case, dashes, spaces, O for 0', () => {
    expect(parseRoute('/join/k7q-4mz/').code).toBe('K7Q4MZ');
    expect(parseRoute('/join/K7Q%204MZ').code).toBe('K7Q4MZ');
    expect(parseRoute('/join/O0O0O0').code).toBe('000000');
  });

  it('keeps text that is not a code as it is, so the person can see and fix it', () => {
    expect(parseRoute('/join/hello')).toEqual({ code: null, codeText: 'hello' });
    expect(parseRoute('/join/%E0%A4%A')).toEqual({ code: null, codeText: '%E0%A4%A' });
  });
});

describe('join links', () => {
  it('are the origin plus /join/CODE', () => {
    expect(joinPath('K7Q4MZ')).toBe('/join/K7Q4MZ');
    expect(joinLink('https://jam.example', 'K7Q4MZ')).toBe('https://jam.example/join/K7Q4MZ');
  });
});
