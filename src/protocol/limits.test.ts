import { describe, expect, it } from 'vitest';
import {
  formatRoomCode,
  LIMITS,
  nameKey,
  normalizeName,
  normalizeRoomCode,
  ROOM_CODE_ALPHABET,
  ROOM_CODE_LENGTH,
} from './limits.js';

describe('normalizeRoomCode', () => {
  it('accepts a canonical code as it is', () => {
    expect(normalizeRoomCode('K7Q4MZ')).toBe('K7Q4MZ');
  });

  it('upper-cases a code typed in lower or mixed case', () => {
    expect(normalizeRoomCode('k7q4mz')).toBe('K7Q4MZ');
    expect(normalizeRoomCode('K7q4Mz')).toBe('K7Q4MZ');
  });

  it('ignores spaces, dashes, underscores and dots between the groups', () => {
    expect(normalizeRoomCode('K7Q 4MZ')).toBe('K7Q4MZ');
    expect(normalizeRoomCode('k7q-4mz')).toBe('K7Q4MZ');
    expect(normalizeRoomCode('  k7q_4m.z  ')).toBe('K7Q4MZ');
    expect(normalizeRoomCode('K7Q\t4MZ\n')).toBe('K7Q4MZ');
  });

  it('reads the letter O as the digit zero, as Crockford base32 does', () => {
    expect(normalizeRoomCode('AB0O0o')).toBe('AB0000');
  });

  it('reads the letters I and L as the digit one, as Crockford base32 does', () => {
    expect(normalizeRoomCode('iIlL1A')).toBe('11111A');
  });

  it('refuses a code that is too short or too long', () => {
    expect(normalizeRoomCode('')).toBeNull();
    expect(normalizeRoomCode('K7Q4M')).toBeNull();
    expect(normalizeRoomCode('K7Q4MZZ')).toBeNull();
    expect(normalizeRoomCode('- - -')).toBeNull();
  });

  it('refuses a code with a character outside the alphabet', () => {
    // U is left out of Crockford base32 so that codes cannot spell some words.
    expect(normalizeRoomCode('K7Q4MU')).toBeNull();
    expect(normalizeRoomCode('K7Q4M!')).toBeNull();
    expect(normalizeRoomCode('K7Q4M+')).toBeNull();
    expect(normalizeRoomCode('K7Q4MÉ')).toBeNull();
  });

  it('accepts every symbol of the alphabet', () => {
    for (let i = 0; i < ROOM_CODE_ALPHABET.length; i += ROOM_CODE_LENGTH) {
      const code = ROOM_CODE_ALPHABET.slice(i, i + ROOM_CODE_LENGTH).padEnd(ROOM_CODE_LENGTH, '0');
      expect(normalizeRoomCode(code)).toBe(code);
    }
  });
});

describe('formatRoomCode', () => {
  it('splits a code into two groups of three for reading aloud', () => {
    expect(formatRoomCode('K7Q4MZ')).toBe('K7Q 4MZ');
  });

  it('gives back what normalizeRoomCode reads as the same code', () => {
    expect(normalizeRoomCode(formatRoomCode('K7Q4MZ'))).toBe('K7Q4MZ');
  });
});

describe('normalizeName', () => {
  it('trims whitespace at both ends', () => {
    expect(normalizeName('  Sam  ')).toBe('Sam');
  });

  it('collapses runs of whitespace inside the name to one space', () => {
    expect(normalizeName('Sam    Smith')).toBe('Sam Smith');
    expect(normalizeName('Sam\u00a0\u3000Smith')).toBe('Sam Smith');
  });

  it('strips control characters', () => {
    expect(normalizeName('Sa\u0000m\u0007\u001b\u007f\u0085')).toBe('Sam');
  });

  it('strips zero-width characters that would let a name pass for another', () => {
    expect(normalizeName('S\u200ba\u200c\u200dm\u2060\ufeff')).toBe('Sam');
    expect(normalizeName('Sa\u00adm')).toBe('Sam');
  });

  it('keeps the joiners inside an emoji sequence, so a family emoji stays one emoji', () => {
    expect(normalizeName('Dad \u{1F468}\u200d\u{1F469}\u200d\u{1F467}')).toBe(
      'Dad \u{1F468}\u200d\u{1F469}\u200d\u{1F467}',
    );
  });

  it('turns tabs and line breaks into spaces', () => {
    expect(normalizeName('Sam\tSmith\nJr')).toBe('Sam Smith Jr');
  });

  it('strips bidi overrides and isolates that would reorder how a name is displayed', () => {
    expect(normalizeName('\u202eSam\u202c')).toBe('Sam');
    expect(normalizeName('\u2066Sam\u2069\u200e\u200f')).toBe('Sam');
  });

  it('composes accents so that the same name is stored the same way', () => {
    expect(normalizeName('Zoe\u0308')).toBe('Zoë');
  });

  it('keeps letters of any script and emoji', () => {
    expect(normalizeName('Łukasz 🎸')).toBe('Łukasz 🎸');
    expect(normalizeName('さくら')).toBe('さくら');
  });

  it('refuses a name that is empty, blank or made only of invisible characters', () => {
    expect(normalizeName('')).toBeNull();
    expect(normalizeName('   \t ')).toBeNull();
    expect(normalizeName('\u200b\u202e\u0000')).toBeNull();
  });

  it(`accepts a name of exactly ${LIMITS.nameMaxLength} characters and refuses one more`, () => {
    expect(normalizeName('a'.repeat(LIMITS.nameMaxLength))).toBe('a'.repeat(LIMITS.nameMaxLength));
    expect(normalizeName('a'.repeat(LIMITS.nameMaxLength + 1))).toBeNull();
  });

  it('counts the length in code points, so emoji outside the BMP count once', () => {
    const emoji = '🎸'.repeat(LIMITS.nameMaxLength);
    expect(emoji.length).toBe(LIMITS.nameMaxLength * 2);
    expect(normalizeName(emoji)).toBe(emoji);
    expect(normalizeName(`${emoji}🎸`)).toBeNull();
  });

  it('measures the length after trimming and collapsing', () => {
    const name = `  ${'a'.repeat(LIMITS.nameMaxLength - 2)}      b  `;
    expect(normalizeName(name)).toBe(`${'a'.repeat(LIMITS.nameMaxLength - 2)} b`);
  });
});

describe('nameKey', () => {
  it('is the same for names that differ only in case', () => {
    expect(nameKey('Sam')).toBe(nameKey('SAM'));
    expect(nameKey('sam')).toBe(nameKey('sAm'));
    expect(nameKey('ÉLODIE')).toBe(nameKey('élodie'));
    // Full-width letters read as the same name.
    expect(nameKey('\uff33\uff41\uff4d')).toBe(nameKey('Sam'));
  });

  it('differs for different names', () => {
    expect(nameKey('Sam')).not.toBe(nameKey('Pam'));
  });
});
