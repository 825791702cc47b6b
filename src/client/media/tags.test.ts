import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../common/seededRandom.js';
import {
  cleanText,
  MAX_TAG_TEXT,
  parseTags,
  readTags,
  type Tags,
  titleFromFileName,
  trackInfo,
} from './tags.js';

// ---------------------------------------------------------------------------------------------
// Building headers byte by byte, as the writers of each format lay them out.

type Part = Uint8Array | number[] | string;

/** Strings are taken one byte per character (Latin-1): use `utf8()` for anything else. */
function bytes(...parts: Part[]): Uint8Array {
  const arrays = parts.map((p) =>
    typeof p === 'string' ? Uint8Array.from(p, (c) => c.charCodeAt(0)) : Uint8Array.from(p),
  );
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const u16 = (s: string, le: boolean) => {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out.push(...(le ? [c & 0xff, c >> 8] : [c >> 8, c & 0xff]));
  }
  return out;
};
const u16be = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const u24be = (n: number) => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const u32be = (n: number) => [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const u32le = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
const syncsafe = (n: number) => [(n >> 21) & 0x7f, (n >> 14) & 0x7f, (n >> 7) & 0x7f, n & 0x7f];

function id3Frame(major: 2 | 3 | 4, id: string, data: Uint8Array, flags = [0, 0]): Uint8Array {
  if (major === 2) return bytes(id, u24be(data.length), data);
  return bytes(id, major === 4 ? syncsafe(data.length) : u32be(data.length), flags, data);
}

function id3Tag(major: 2 | 3 | 4, frames: Uint8Array[], { flags = 0, padding = 16 } = {}): Uint8Array {
  const body = bytes(...frames, new Array(padding).fill(0));
  return bytes('ID3', [major, 0, flags], syncsafe(body.length), body);
}

/** A text frame's content: the encoding byte, then the text. */
const latin1Text = (s: string) => bytes([0], s);
const utf16BomText = (s: string) => bytes([1, 0xff, 0xfe], u16(s, true));
const utf16BeText = (s: string) => bytes([2], u16(s, false));
const utf8Text = (s: string) => bytes([3], utf8(s));

function vorbisComment(comments: string[], vendor = 'test encoder'): Uint8Array {
  return bytes(
    u32le(utf8(vendor).length),
    utf8(vendor),
    u32le(comments.length),
    ...comments.flatMap((c) => [u32le(utf8(c).length), utf8(c)]),
  );
}

function flacBlock(type: number, data: Uint8Array, last = false): Uint8Array {
  return bytes([type | (last ? 0x80 : 0)], u24be(data.length), data);
}

/** Ogg pages carrying `packets` in order, at most `maxSegments` lacing values per page. */
function oggStream(packets: Uint8Array[], maxSegments = 255, serial = 0x1234): Uint8Array {
  const laces: { lace: number; data: Uint8Array }[] = [];
  for (const p of packets) {
    let at = 0;
    for (;;) {
      const n = Math.min(255, p.length - at);
      laces.push({ lace: n, data: p.subarray(at, at + n) });
      at += n;
      if (n < 255) break;
    }
  }
  const pages: Uint8Array[] = [];
  for (let i = 0, seq = 0; i < laces.length; i += maxSegments, seq++) {
    const page = laces.slice(i, i + maxSegments);
    pages.push(
      bytes(
        'OggS',
        [0, i === 0 ? 2 : 0],
        new Array(8).fill(0),
        u32le(serial),
        u32le(seq),
        u32le(0),
        [page.length],
        page.map((l) => l.lace),
        ...page.map((l) => l.data),
      ),
    );
  }
  return bytes(...pages);
}

const opusHead = bytes('OpusHead', [1, 2], [0x38, 0x01], u32le(48000), [0, 0, 0]);

function box(type: string, ...children: Uint8Array[]): Uint8Array {
  const body = bytes(...children);
  return bytes(u32be(8 + body.length), type, body);
}

function mp4(items: Uint8Array[], { fullMeta = true, moovFirst = true } = {}): Uint8Array {
  const hdlr = box('hdlr', bytes(new Array(8).fill(0), 'mdirappl', new Array(9).fill(0)));
  const meta = box('meta', fullMeta ? bytes([0, 0, 0, 0]) : bytes(), hdlr, box('ilst', ...items));
  const moov = box('moov', box('mvhd', bytes(new Array(100).fill(0))), box('udta', meta));
  const ftyp = box('ftyp', bytes('M4A ', u32be(0), 'M4A mp42isom'));
  const mdat = box('mdat', bytes(new Array(64).fill(0x55)));
  return moovFirst ? bytes(ftyp, moov, mdat) : bytes(ftyp, mdat, moov);
}

const mp4Text = (type: string, value: string) =>
  box(type, box('data', bytes(u32be(1), u32be(0), utf8(value))));

function riffWave(chunks: Uint8Array[]): Uint8Array {
  const body = bytes('WAVE', ...chunks);
  return bytes('RIFF', u32le(body.length), body);
}

function riffChunk(id: string, data: Uint8Array): Uint8Array {
  return bytes(id, u32le(data.length), data, data.length & 1 ? [0] : []);
}

function id3v1(title: string, artist: string): Uint8Array {
  const field = (s: string) => bytes(s, new Array(30 - s.length).fill(0));
  return bytes('TAG', field(title), field(artist), field(''), '2024', new Array(30).fill(0), [12]);
}

// ---------------------------------------------------------------------------------------------

describe('ID3v2', () => {
  it('reads TIT2 and TPE1 from a v2.3 tag, skipping the frames it does not know', () => {
    const tag = id3Tag(3, [
      id3Frame(3, 'TXXX', bytes([0], 'comment\0whatever')),
      id3Frame(3, 'APIC', bytes([0], 'image/png\0', [3, 0], new Array(5000).fill(0xff))),
      id3Frame(3, 'TIT2', latin1Text('Caf\u00e9 del Mar')),
      id3Frame(3, 'TPE1', utf16BomText('Bj\u00f6rk')),
    ]);
    expect(readTags(tag)).toEqual({ title: 'Caf\u00e9 del Mar', artist: 'Bj\u00f6rk' });
  });

  it('reads every text encoding: Latin-1, UTF-16 with BOM, UTF-16 BE, UTF-8', () => {
    const cases: [Uint8Array, string][] = [
      [latin1Text('na\u00efve'), 'na\u00efve'],
      [utf16BomText('\u65e5\u672c'), '\u65e5\u672c'],
      [bytes([1, 0xfe, 0xff], u16('Big endian', false)), 'Big endian'],
      [utf16BeText('\u00c9t\u00e9'), '\u00c9t\u00e9'],
      [utf8Text('Emoji \u{1f3b8} song'), 'Emoji \u{1f3b8} song'],
    ];
    for (const [data, expected] of cases) {
      expect(readTags(id3Tag(4, [id3Frame(4, 'TIT2', data)])).title).toBe(expected);
    }
  });

  it('reads v2.4 syncsafe frame sizes past 127 bytes', () => {
    const tag = id3Tag(4, [
      id3Frame(4, 'PRIV', bytes('owner\0', new Array(300).fill(7))),
      id3Frame(4, 'TIT2', utf8Text('After a long frame')),
      id3Frame(4, 'TPE1', utf8Text('Somebody')),
    ]);
    expect(readTags(tag)).toEqual({ title: 'After a long frame', artist: 'Somebody' });
  });

  it('reads v2.4 tags whose writer used plain frame sizes (old iTunes)', () => {
    const priv = bytes('owner\0', new Array(300).fill(7));
    const plainFrame = bytes('PRIV', u32be(priv.length), [0, 0], priv);
    const tag = id3Tag(4, [plainFrame, id3Frame(4, 'TIT2', utf8Text('Still found'))]);
    expect(readTags(tag).title).toBe('Still found');
  });

  it('joins v2.4 multiple artists and takes the first of several titles', () => {
    const tag = id3Tag(4, [
      id3Frame(4, 'TIT2', utf8Text('One\0Two')),
      id3Frame(4, 'TPE1', utf8Text('Alice\0Bob\0')),
    ]);
    expect(readTags(tag)).toEqual({ title: 'One', artist: 'Alice, Bob' });
  });

  it('undoes v2.3 whole-tag unsynchronisation', () => {
    // "\u00ff" in Latin-1 is 0xFF; an unsynchronised tag stores it as 0xFF 0x00.
    const frame = id3Frame(3, 'TIT2', latin1Text('\u00ffx'));
    const raw = bytes(frame, new Array(8).fill(0));
    const unsynced: number[] = [];
    for (const b of raw) {
      unsynced.push(b);
      if (b === 0xff) unsynced.push(0);
    }
    // The frame header declares the size before unsynchronisation.
    const tag = bytes('ID3', [3, 0, 0x80], syncsafe(unsynced.length), unsynced);
    expect(readTags(tag).title).toBe('\u00ffx');
  });

  it('skips a v2.3 extended header and a v2.4 frame with a data length indicator', () => {
    const v3 = bytes(
      'ID3',
      [3, 0, 0x40],
      syncsafe(10 + 4 + 6 + 10 + 3),
      u32be(6),
      new Array(6).fill(0),
      id3Frame(3, 'TIT2', latin1Text('Ext')),
    );
    expect(readTags(v3).title).toBe('Ext');
    const data = bytes(syncsafe(4), utf8Text('DLI'));
    const v4 = id3Tag(4, [id3Frame(4, 'TIT2', data, [0, 0x01])]);
    expect(readTags(v4).title).toBe('DLI');
  });

  it('ignores compressed and encrypted frames', () => {
    const tag = id3Tag(3, [
      id3Frame(3, 'TIT2', latin1Text('zlib bytes'), [0, 0x80]),
      id3Frame(3, 'TPE1', latin1Text('Plain')),
    ]);
    expect(readTags(tag)).toEqual({ artist: 'Plain' });
  });

  it('reads v2.2 TT2 and TP1', () => {
    const tag = id3Tag(2, [id3Frame(2, 'TT2', latin1Text('Old')), id3Frame(2, 'TP1', latin1Text('Timer'))]);
    expect(readTags(tag)).toEqual({ title: 'Old', artist: 'Timer' });
  });

  it('drops a title frame cut off by the end of the bytes read', () => {
    const tag = id3Tag(3, [id3Frame(3, 'TIT2', latin1Text('A complete title'))]);
    expect(readTags(tag.subarray(0, 20))).toEqual({});
  });

  it('falls back to ID3v1 at the end of the file for what ID3v2 lacks', () => {
    const head = id3Tag(3, [id3Frame(3, 'TIT2', latin1Text('From v2'))]);
    expect(readTags(head, id3v1('From v1', 'V1 Artist'))).toEqual({ title: 'From v2', artist: 'V1 Artist' });
    expect(readTags(new Uint8Array(100), bytes(new Array(500).fill(1), id3v1('Only', 'Old')))).toEqual({
      title: 'Only',
      artist: 'Old',
    });
  });

  it('reads the FLAC header behind an ID3v2 tag that has no title', () => {
    const tag = id3Tag(3, [id3Frame(3, 'TPE1', latin1Text('ID3 artist'))]);
    const flac = bytes('fLaC', flacBlock(4, vorbisComment(['TITLE=Behind']), true));
    expect(readTags(bytes(tag, flac))).toEqual({ title: 'Behind', artist: 'ID3 artist' });
  });
});

describe('FLAC', () => {
  it('reads TITLE and ARTIST from the Vorbis comment block, past a PICTURE block', () => {
    const file = bytes(
      'fLaC',
      flacBlock(0, new Uint8Array(34)),
      flacBlock(6, new Uint8Array(20_000).fill(9)),
      flacBlock(4, vorbisComment(['title=Lowercase keys', 'ARTIST=Ann', 'ARTIST=Ben', 'GENRE=x']), true),
      new Uint8Array(100),
    );
    expect(readTags(file)).toEqual({ title: 'Lowercase keys', artist: 'Ann, Ben' });
  });

  it('skips a METADATA_BLOCK_PICTURE comment and reads UTF-8 values', () => {
    const picture = `METADATA_BLOCK_PICTURE=${'QUFB'.repeat(5000)}`;
    const file = bytes(
      'fLaC',
      flacBlock(
        4,
        vorbisComment([picture, 'TITLE=Gr\u00fc\u00dfe', 'ARTIST=\u041c\u0443\u0437\u0430']),
        true,
      ),
    );
    expect(readTags(file)).toEqual({ title: 'Gr\u00fc\u00dfe', artist: '\u041c\u0443\u0437\u0430' });
  });

  it('falls back to ALBUMARTIST when there is no ARTIST', () => {
    const file = bytes('fLaC', flacBlock(4, vorbisComment(['TITLE=T', 'ALBUMARTIST=Band']), true));
    expect(readTags(file)).toEqual({ title: 'T', artist: 'Band' });
  });
});

describe('Ogg', () => {
  it('reads OpusTags, even when the comment packet spans several pages', () => {
    const art = `METADATA_BLOCK_PICTURE=${'x'.repeat(3000)}`;
    const tags = bytes('OpusTags', vorbisComment([art, 'TITLE=Opus song', 'ARTIST=Opus band']));
    const file = oggStream([opusHead, tags, new Uint8Array(50)], 4);
    expect(readTags(file)).toEqual({ title: 'Opus song', artist: 'Opus band' });
  });

  it('reads the Vorbis comment header (\\x03vorbis)', () => {
    const ident = bytes([1], 'vorbis', new Array(23).fill(0));
    const comment = bytes([3], 'vorbis', vorbisComment(['TITLE=Vorbis song', 'ARTIST=V']), [1]);
    expect(readTags(oggStream([ident, comment]))).toEqual({ title: 'Vorbis song', artist: 'V' });
  });

  it('reads an Ogg FLAC comment block', () => {
    const head = bytes([0x7f], 'FLAC', [1, 0], u16be(1), 'fLaC', flacBlock(0, new Uint8Array(34)));
    const comment = flacBlock(4, vorbisComment(['TITLE=Ogg FLAC']), true);
    expect(readTags(oggStream([head, comment])).title).toBe('Ogg FLAC');
  });

  it('reads the comments that arrived whole when the header is cut off', () => {
    const tags = bytes('OpusTags', vorbisComment(['TITLE=Early', `ARTIST=${'y'.repeat(5000)}`]));
    const file = oggStream([opusHead, tags]);
    expect(readTags(file.subarray(0, 400))).toEqual({ title: 'Early' });
  });
});

describe('MP4', () => {
  it('reads \u00a9nam and \u00a9ART from moov/udta/meta/ilst', () => {
    const file = mp4([
      mp4Text('\u00a9too', 'Lavf'),
      mp4Text('\u00a9nam', 'M4A title'),
      mp4Text('\u00a9ART', 'M4A artist'),
    ]);
    expect(readTags(file)).toEqual({ title: 'M4A title', artist: 'M4A artist' });
  });

  it('reads a QuickTime-style meta box (no version and flags)', () => {
    const file = mp4([mp4Text('\u00a9nam', 'QT')], { fullMeta: false });
    expect(readTags(file)).toEqual({ title: 'QT' });
  });

  it('uses aART when there is no \u00a9ART', () => {
    expect(readTags(mp4([mp4Text('\u00a9nam', 'T'), mp4Text('aART', 'Album artist')]))).toEqual({
      title: 'T',
      artist: 'Album artist',
    });
  });

  it('finds moov after mdat when it is within the bytes read', () => {
    expect(readTags(mp4([mp4Text('\u00a9nam', 'Late moov')], { moovFirst: false })).title).toBe('Late moov');
  });
});

describe('WAV', () => {
  it('reads INAM and IART from a LIST/INFO chunk', () => {
    const fmt = riffChunk('fmt ', new Uint8Array(16));
    const info = riffChunk(
      'LIST',
      bytes('INFO', riffChunk('INAM', bytes('Wave title\0')), riffChunk('IART', bytes('Wav\0'))),
    );
    expect(readTags(riffWave([fmt, info, riffChunk('data', new Uint8Array(32))]))).toEqual({
      title: 'Wave title',
      artist: 'Wav',
    });
  });
});

describe('text limits', () => {
  it('cuts titles to 200 UTF-16 units, never between the halves of a surrogate pair', () => {
    const long = `${'a'.repeat(199)}\u{1f3b5}tail`;
    const title = readTags(bytes('fLaC', flacBlock(4, vorbisComment([`TITLE=${long}`]), true))).title;
    expect(title).toBe('a'.repeat(199));
    expect(cleanText('b'.repeat(5000))).toHaveLength(MAX_TAG_TEXT);
  });

  it('turns control characters and runs of white space into single spaces', () => {
    expect(cleanText('  A\u0000\u0007b\n\tc\u200b  ')).toBe('A b c\u200b');
    expect(cleanText('\u0000 \ufeff')).toBeUndefined();
  });
});

describe('file names', () => {
  it('reads "Artist - Title.ext"', () => {
    expect(titleFromFileName('Daft Punk - One More Time.mp3')).toEqual({
      artist: 'Daft Punk',
      title: 'One More Time',
    });
    expect(titleFromFileName('A \u2013 B - remix.flac')).toEqual({ artist: 'A', title: 'B - remix' });
  });

  it('drops a leading track number', () => {
    expect(titleFromFileName('07 - Artist - Song.ogg')).toEqual({ artist: 'Artist', title: 'Song' });
    expect(titleFromFileName('07 - Song.ogg')).toEqual({ title: 'Song' });
  });

  it('otherwise takes the name without its extension as the title', () => {
    expect(titleFromFileName('just a song.opus')).toEqual({ title: 'just a song' });
    expect(titleFromFileName('no-extension')).toEqual({ title: 'no-extension' });
    expect(titleFromFileName('.hidden')).toEqual({ title: '.hidden' });
    expect(titleFromFileName('dir/sub/track.wav')).toEqual({ title: 'track' });
    expect(titleFromFileName(' - .mp3')).toEqual({ title: '-' });
    expect(titleFromFileName('')).toEqual({ title: 'Untitled' });
  });

  it('prefers the tags and only fills in from the name what they lack', () => {
    expect(trackInfo('X - Y.mp3', { title: 'Tagged' })).toEqual({ title: 'Tagged' });
    expect(trackInfo('X - Y.mp3', {})).toEqual({ artist: 'X', title: 'Y' });
    expect(trackInfo('X - Y.mp3', { artist: 'Tagged artist' })).toEqual({
      artist: 'Tagged artist',
      title: 'Y',
    });
  });
});

// ---------------------------------------------------------------------------------------------

function expectSane(tags: Tags): void {
  for (const v of [tags.title, tags.artist]) {
    if (v === undefined) continue;
    expect(typeof v).toBe('string');
    expect(v.length).toBeGreaterThan(0);
    expect(v.length).toBeLessThanOrEqual(MAX_TAG_TEXT);
  }
}

describe('garbage in', () => {
  const valid: Record<string, Uint8Array> = {
    id3v23: id3Tag(3, [
      id3Frame(3, 'TIT2', utf16BomText('Title')),
      id3Frame(3, 'TPE1', latin1Text('Artist')),
    ]),
    id3v24: id3Tag(4, [id3Frame(4, 'PRIV', new Uint8Array(200)), id3Frame(4, 'TIT2', utf8Text('T'))], {
      flags: 0x10,
    }),
    id3v22: id3Tag(2, [id3Frame(2, 'TT2', latin1Text('Old'))]),
    flac: bytes(
      'fLaC',
      flacBlock(0, new Uint8Array(34)),
      flacBlock(4, vorbisComment(['TITLE=a', 'ARTIST=b']), true),
    ),
    opus: oggStream([opusHead, bytes('OpusTags', vorbisComment(['TITLE=o'.repeat(100)]))], 3),
    vorbis: oggStream([
      bytes([1], 'vorbis', new Uint8Array(23)),
      bytes([3], 'vorbis', vorbisComment(['TITLE=v'])),
    ]),
    mp4: mp4([mp4Text('\u00a9nam', 'n'), mp4Text('\u00a9ART', 'a')]),
    wav: riffWave([riffChunk('LIST', bytes('INFO', riffChunk('INAM', bytes('w\0'))))]),
  };

  it('never throws on random bytes, bare or behind a real magic number', () => {
    const rnd = seededRandom(1);
    const magics = [
      '',
      'ID3\u0003\u0000\u0000',
      'ID3\u0004\u0000\u0040',
      'fLaC',
      'OggS',
      '\0\0\0\u0020ftyp',
      'RIFF\0\0\0\0WAVE',
    ];
    for (let i = 0; i < 3000; i++) {
      const length = Math.floor(rnd() * (i % 10 === 0 ? 70_000 : 600));
      const noise = Uint8Array.from({ length }, () => Math.floor(rnd() * 256));
      const magic = magics[i % magics.length] ?? '';
      expectSane(parseTags(bytes(magic, noise), noise));
    }
  });

  it('never throws on any truncation of a valid header', () => {
    for (const [name, file] of Object.entries(valid)) {
      for (let n = 0; n <= file.length; n++) {
        const cut = file.subarray(0, n);
        expect(() => expectSane(parseTags(cut, cut)), `${name} cut at ${n}`).not.toThrow();
      }
    }
  });

  it('never throws when bytes of a valid header are changed', () => {
    const rnd = seededRandom(2);
    for (const [name, file] of Object.entries(valid)) {
      for (let i = 0; i < 1500; i++) {
        const mutated = file.slice();
        const flips = 1 + Math.floor(rnd() * 4);
        for (let f = 0; f < flips; f++) {
          const at = Math.floor(rnd() * mutated.length);
          mutated[at] = rnd() < 0.3 ? 0xff : Math.floor(rnd() * 256);
        }
        expect(() => expectSane(parseTags(mutated)), `${name} mutation ${i}`).not.toThrow();
      }
    }
  });

  it('accepts an ArrayBuffer, and an empty one', () => {
    const file = valid.flac ?? new Uint8Array(0);
    expect(readTags(file.slice().buffer)).toEqual({ title: 'a', artist: 'b' });
    expect(readTags(new ArrayBuffer(0), new ArrayBuffer(0))).toEqual({});
  });

  it('returns quickly for lengths that claim gigabytes', () => {
    const file = bytes('fLaC', [4], [0xff, 0xff, 0xff], u32le(0xffffffff), new Uint8Array(1000));
    const ogg = bytes('OpusTags', u32le(0), u32le(0xffffffff), new Uint8Array(100_000));
    const start = performance.now();
    expect(readTags(file)).toEqual({});
    expect(readTags(oggStream([opusHead, ogg]))).toEqual({});
    expect(performance.now() - start).toBeLessThan(500);
  });
});
