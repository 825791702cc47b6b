/**
 * Title and artist of an audio file, read from the first bytes of the file (and, for ID3v1, its last
 * 128). Pure: bytes in, strings out, so every format is unit-tested with headers built in the test.
 *
 * Read: ID3v2.2/2.3/2.4 (TIT2/TPE1, all four text encodings, syncsafe sizes, unsynchronisation),
 * ID3v1, FLAC and Ogg (Opus, Vorbis, FLAC) Vorbis comments, MP4/M4A `ilst` atoms, WAV `LIST/INFO`.
 *
 * Every length read from the file is checked against the bytes actually there before it is used,
 * loops are capped, and strings are cut to `MAX_TAG_TEXT`: a file is untrusted input (a listener
 * sees these strings), and a garbage or cut-off header must give "no tags", never an exception.
 */

/** How much of a file's start to read: tags sit at the start, before any large cover art. */
export const TAG_HEAD_BYTES = 256 * 1024;
/** An ID3v1 tag is the last 128 bytes of a file. */
export const ID3V1_BYTES = 128;
/** The longest title or artist kept (what NowPlaying in protocol/media.ts accepts). */
export const MAX_TAG_TEXT = 200;

/** Bytes of one text value decoded at most: 200 characters are at most 800 bytes in UTF-8 or UTF-16. */
const MAX_TEXT_BYTES = 1024;
const MAX_ID3_FRAMES = 512;
const MAX_FLAC_BLOCKS = 64;
const MAX_COMMENTS = 1024;
const MAX_OGG_PAGES = 512;
const MAX_ATOMS = 1024;
const MAX_RIFF_CHUNKS = 256;

export interface Tags {
  title?: string;
  artist?: string;
}

export interface TrackInfo {
  title: string;
  artist?: string;
}

type Bytes = Uint8Array;

/**
 * Title and artist from a file's first bytes (`head`, e.g. its first `TAG_HEAD_BYTES`) and
 * optionally its last bytes (`tail`, for ID3v1). Fields not found are absent. Never throws.
 */
export function readTags(head: ArrayBuffer | Uint8Array, tail?: ArrayBuffer | Uint8Array): Tags {
  try {
    return parseTags(head, tail);
  } catch {
    // Not reached as far as the fuzz tests can tell; kept because a file must never break the queue.
    return {};
  }
}

/**
 * `readTags` without its last-resort guard: exported so the fuzz tests prove the parsers themselves
 * never throw, rather than the guard hiding it.
 */
export function parseTags(head: ArrayBuffer | Uint8Array, tail?: ArrayBuffer | Uint8Array): Tags {
  const tags = readHead(toBytes(head));
  if ((tags.title === undefined || tags.artist === undefined) && tail !== undefined) {
    const v1 = readId3v1(toBytes(tail));
    return withoutEmpty({ title: tags.title ?? v1.title, artist: tags.artist ?? v1.artist });
  }
  return tags;
}

/**
 * The file name read as "Artist - Title.ext" (also with an en or em dash, and after a track number:
 * "01 - Artist - Title.ext"); otherwise the name without its extension is the title.
 */
export function titleFromFileName(fileName: string): TrackInfo {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  // A dot at 0 is a hidden file's name, not an extension; a long "extension" is part of the name.
  let stem = dot > 0 && base.length - dot <= 6 ? base.slice(0, dot) : base;
  const split = (s: string): [string, string] | null => {
    const m = /\s+[-\u2013\u2014]\s+/.exec(s);
    return m ? [s.slice(0, m.index), s.slice(m.index + m[0].length)] : null;
  };
  let parts = split(stem);
  if (parts && /^\d{1,3}$/.test(parts[0].trim())) {
    stem = parts[1];
    parts = split(stem);
  }
  if (parts) {
    const artist = cleanText(parts[0]);
    const title = cleanText(parts[1]);
    if (artist !== undefined && title !== undefined) return { title, artist };
  }
  return { title: cleanText(stem) ?? cleanText(base) ?? 'Untitled' };
}

/**
 * What to show for a file: its tags where it has a title, otherwise its name (with an artist tag, if
 * there is one, winning over an artist guessed from the name).
 */
export function trackInfo(fileName: string, tags: Tags): TrackInfo {
  const title = tags.title === undefined ? undefined : cleanText(tags.title);
  const artist = tags.artist === undefined ? undefined : cleanText(tags.artist);
  if (title !== undefined) return artist === undefined ? { title } : { title, artist };
  const fromName = titleFromFileName(fileName);
  const guessed = artist ?? fromName.artist;
  return guessed === undefined ? { title: fromName.title } : { title: fromName.title, artist: guessed };
}

/**
 * One line of text for display: control characters become spaces, runs of white space one space,
 * byte order marks go, ends trimmed, at most `MAX_TAG_TEXT` UTF-16 units (never half a surrogate
 * pair). Undefined when nothing is left.
 */
export function cleanText(s: string): string | undefined {
  let out = '';
  let space = false;
  for (let i = 0; i < s.length && out.length <= MAX_TAG_TEXT; i++) {
    const c = s.charCodeAt(i);
    if (c === 0xfeff || c === 0xfffe) continue;
    const isSpace = c <= 0x20 || (c >= 0x7f && c <= 0xa0) || c === 0x2028 || c === 0x2029 || c === 0x3000;
    if (isSpace) {
      space = out.length > 0;
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += s[i];
  }
  if (out.length > MAX_TAG_TEXT) {
    out = out.slice(0, MAX_TAG_TEXT);
    const last = out.charCodeAt(out.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) out = out.slice(0, -1);
    out = out.trimEnd();
  }
  return out === '' ? undefined : out;
}

// ---------------------------------------------------------------------------------------------
// Dispatch

function readHead(b: Bytes): Tags {
  let offset = 0;
  if (ascii(b, 0, 3) === 'ID3') {
    const id3 = readId3v2(b);
    if (id3.tags.title !== undefined) return id3.tags;
    // Some FLAC (and other) files carry an ID3v2 tag in front of their own header.
    offset = id3.end;
    if (offset >= b.length) return id3.tags;
    const inner = readContainer(b, offset);
    return withoutEmpty({ title: inner.title, artist: id3.tags.artist ?? inner.artist });
  }
  return readContainer(b, offset);
}

function readContainer(b: Bytes, at: number): Tags {
  const magic = ascii(b, at, 4);
  if (magic === 'fLaC') return readFlac(b, at + 4);
  if (magic === 'OggS') return readOgg(b.subarray(at));
  if (ascii(b, at + 4, 4) === 'ftyp') return readMp4(b.subarray(at));
  if (magic === 'RIFF' && ascii(b, at + 8, 4) === 'WAVE') return readRiff(b.subarray(at));
  return {};
}

// ---------------------------------------------------------------------------------------------
// ID3v2 (id3.org: id3v2.3.0, id3v2.4.0-structure, id3v2.4.0-frames)

function readId3v2(b: Bytes): { tags: Tags; end: number } {
  const tags: Tags = {};
  if (b.length < 10) return { tags, end: b.length };
  const major = b[3] ?? 0;
  const flags = b[5] ?? 0;
  const size = syncsafe(b, 6);
  if (size < 0) return { tags, end: b.length };
  const footer = major === 4 && (flags & 0x10) !== 0 ? 10 : 0;
  const end = 10 + size + footer;
  // v2.2 with its "compression" flag set has no defined compression scheme: nothing to read.
  if (major < 2 || major > 4 || (major === 2 && (flags & 0x40) !== 0)) return { tags, end };

  let body = b.subarray(10, Math.min(10 + size, b.length));
  // v2.2/2.3 unsynchronise the whole tag; v2.4 flags it per frame.
  if (major < 4 && (flags & 0x80) !== 0) body = deunsync(body);
  let pos = 0;
  if (major >= 3 && (flags & 0x40) !== 0) {
    // Extended header: its size excludes itself in v2.3, includes itself (syncsafe) in v2.4.
    const ext = major === 3 ? u32be(body, 0) : syncsafe(body, 0);
    if (ext < 0) return { tags, end };
    pos = major === 3 ? 4 + ext : ext;
  }

  const idLen = major === 2 ? 3 : 4;
  const headerLen = major === 2 ? 6 : 10;
  const titleId = major === 2 ? 'TT2' : 'TIT2';
  const artistId = major === 2 ? 'TP1' : 'TPE1';
  for (let n = 0; n < MAX_ID3_FRAMES && pos + headerLen <= body.length; n++) {
    if (body[pos] === 0) break; // padding
    const id = ascii(body, pos, idLen);
    if (!/^[A-Z0-9]+$/.test(id) || id.length !== idLen) break;
    const start = pos + headerLen;
    let frameSize: number;
    if (major === 2) frameSize = u24be(body, pos + 3);
    else if (major === 3) frameSize = u32be(body, pos + 4);
    else frameSize = id3v24FrameSize(body, pos + 4, start, idLen);
    if (frameSize < 0) break;
    const frameEnd = start + frameSize;
    const frameFlags = major === 2 ? 0 : (body[pos + 9] ?? 0);
    pos = frameEnd;
    if (id !== titleId && id !== artistId) continue;
    // A frame cut off by the end of what was read is dropped rather than shown half.
    if (frameEnd > body.length) break;
    const data = id3FrameData(body.subarray(start, frameEnd), major, frameFlags);
    if (!data) continue;
    const values = decodeId3Text(data);
    if (id === titleId) tags.title ??= firstValue(values);
    else tags.artist ??= joinValues(values);
    if (tags.title !== undefined && tags.artist !== undefined) break;
  }
  return { tags, end };
}

/**
 * A v2.4 frame size, which the spec makes syncsafe but which some writers (old iTunes) wrote as a
 * plain integer. Where the two readings differ, the one that lands on a frame ID, on padding or on
 * the end of the tag wins (TagLib does the same).
 */
function id3v24FrameSize(body: Bytes, at: number, start: number, idLen: number): number {
  const plain = u32be(body, at);
  const safe = syncsafe(body, at);
  if (safe < 0) return plain;
  if (safe === plain) return safe;
  const landsWell = (p: number) =>
    p === body.length || body[p] === 0 || /^[A-Z0-9]+$/.test(ascii(body, p, idLen));
  if (!landsWell(start + safe) && start + plain <= body.length && landsWell(start + plain)) return plain;
  return safe;
}

/** The frame's content with its flag-declared extras removed; null for compressed or encrypted frames. */
function id3FrameData(data: Bytes, major: number, frameFlags: number): Bytes | null {
  if (major === 4) {
    if ((frameFlags & 0x0c) !== 0) return null;
    let skip = 0;
    if ((frameFlags & 0x40) !== 0) skip += 1; // group id
    if ((frameFlags & 0x01) !== 0) skip += 4; // data length indicator
    const rest = data.subarray(Math.min(skip, data.length));
    return (frameFlags & 0x02) !== 0 ? deunsync(rest) : rest;
  }
  if (major === 3) {
    if ((frameFlags & 0xc0) !== 0) return null;
    return (frameFlags & 0x20) !== 0 ? data.subarray(Math.min(1, data.length)) : data;
  }
  return data;
}

/** A text frame's values: v2.4 separates several with NUL. */
function decodeId3Text(data: Bytes): string[] {
  if (data.length < 1) return [];
  const encoding = data[0];
  const raw = data.subarray(1, 1 + MAX_TEXT_BYTES);
  let text: string;
  if (encoding === 0) text = latin1(raw);
  else if (encoding === 1) text = utf16(raw, true);
  else if (encoding === 2) text = utf16(raw, false);
  else if (encoding === 3) text = utf8(raw);
  else return [];
  return text.split('\u0000');
}

/** Undoes ID3 unsynchronisation: every 0xFF 0x00 was written for a 0xFF. */
function deunsync(b: Bytes): Bytes {
  const out = new Uint8Array(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    out[n++] = b[i] ?? 0;
    if (b[i] === 0xff && b[i + 1] === 0x00) i++;
  }
  return out.subarray(0, n);
}

function readId3v1(b: Bytes): Tags {
  if (b.length < ID3V1_BYTES) return {};
  const tag = b.subarray(b.length - ID3V1_BYTES);
  if (ascii(tag, 0, 3) !== 'TAG') return {};
  const field = (at: number) => {
    const f = tag.subarray(at, at + 30);
    const nul = f.indexOf(0);
    return cleanText(utf8OrLatin1(nul < 0 ? f : f.subarray(0, nul)));
  };
  return withoutEmpty({ title: field(3), artist: field(33) });
}

// ---------------------------------------------------------------------------------------------
// FLAC (xiph.org/flac/format.html) and Vorbis comments (xiph.org/vorbis/doc/v-comment.html)

function readFlac(b: Bytes, at: number): Tags {
  let pos = at;
  for (let n = 0; n < MAX_FLAC_BLOCKS && pos + 4 <= b.length; n++) {
    const header = b[pos] ?? 0;
    const type = header & 0x7f;
    const length = u24be(b, pos + 1);
    const start = pos + 4;
    if (type === 4) return readVorbisComment(b.subarray(start, Math.min(start + length, b.length)));
    // 127 is invalid; the last-block flag ends the metadata. A PICTURE (6) is skipped by its length.
    if (type === 127 || (header & 0x80) !== 0) break;
    pos = start + length;
  }
  return {};
}

/** A Vorbis comment (little-endian lengths); tolerates being cut off after any complete comment. */
function readVorbisComment(b: Bytes): Tags {
  const vendor = u32le(b, 0);
  if (vendor < 0) return {};
  let pos = 4 + vendor;
  const count = u32le(b, pos);
  if (count < 0) return {};
  pos += 4;
  let title: string | undefined;
  let albumArtist: string | undefined;
  const artists: string[] = [];
  for (let i = 0; i < count && i < MAX_COMMENTS && pos + 4 <= b.length; i++) {
    const length = u32le(b, pos);
    pos += 4;
    if (length < 0 || pos + length > b.length) break;
    const comment = b.subarray(pos, pos + length);
    pos += length;
    // Only the key is looked at first: a METADATA_BLOCK_PICTURE is megabytes of base64 to skip.
    const eq = comment.subarray(0, 64).indexOf(0x3d);
    if (eq <= 0) continue;
    const key = ascii(comment, 0, eq).toUpperCase();
    if (key !== 'TITLE' && key !== 'ARTIST' && key !== 'ALBUMARTIST') continue;
    const value = cleanText(utf8(comment.subarray(eq + 1, eq + 1 + MAX_TEXT_BYTES)));
    if (value === undefined) continue;
    if (key === 'TITLE') title ??= value;
    else if (key === 'ARTIST') artists.push(value);
    else albumArtist ??= value;
  }
  return withoutEmpty({ title, artist: joinValues(artists) ?? albumArtist });
}

// ---------------------------------------------------------------------------------------------
// Ogg (RFC 3533): the second packet of the first logical stream is the comment header.

function readOgg(b: Bytes): Tags {
  let pos = 0;
  let serial: number | null = null;
  let packetIndex = 0;
  let firstPacket: Bytes | null = null;
  let parts: Bytes[] = [];
  for (let n = 0; n < MAX_OGG_PAGES && pos + 27 <= b.length; n++) {
    if (ascii(b, pos, 4) !== 'OggS') break;
    const pageSerial = u32le(b, pos + 14);
    const segments = b[pos + 26] ?? 0;
    let data = pos + 27 + segments;
    if (data > b.length) break;
    serial ??= pageSerial;
    const mine = pageSerial === serial;
    for (let s = 0; s < segments; s++) {
      const lace = b[pos + 27 + s] ?? 0;
      if (mine) parts.push(b.subarray(Math.min(data, b.length), Math.min(data + lace, b.length)));
      data += lace;
      if (!mine || lace === 255) continue;
      // A lacing value below 255 ends a packet.
      const packet = concat(parts);
      parts = [];
      if (packetIndex === 0) firstPacket = packet;
      else return readOggComment(firstPacket, packet);
      packetIndex++;
    }
    pos = data;
  }
  // Cut off inside the comment packet: read the comments that arrived whole.
  return packetIndex === 1 && parts.length > 0 ? readOggComment(firstPacket, concat(parts)) : {};
}

function readOggComment(first: Bytes | null, packet: Bytes): Tags {
  if (ascii(packet, 0, 8) === 'OpusTags') return readVorbisComment(packet.subarray(8));
  if (packet[0] === 3 && ascii(packet, 1, 6) === 'vorbis') return readVorbisComment(packet.subarray(7));
  // Ogg FLAC: after the "\x7FFLAC" mapping header, each packet is one FLAC metadata block.
  if (first && first[0] === 0x7f && ascii(first, 1, 4) === 'FLAC' && ((packet[0] ?? 0) & 0x7f) === 4) {
    return readVorbisComment(packet.subarray(4));
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// MP4 / M4A (ISO/IEC 14496-12 boxes; the iTunes metadata list moov/udta/meta/ilst)

interface Box {
  start: number;
  end: number;
}

function readMp4(b: Bytes): Tags {
  const moov = findBox(b, { start: 0, end: b.length }, 'moov');
  if (!moov) return {};
  const udta = findBox(b, moov, 'udta');
  const meta = (udta && findBox(b, udta, 'meta')) ?? findBox(b, moov, 'meta');
  if (!meta) return {};
  // iTunes writes `meta` as a full box (4 bytes of version and flags before its children);
  // QuickTime files do not: there the first child (`hdlr`) follows at once.
  const children = ascii(b, meta.start + 4, 4) === 'hdlr' ? meta : { start: meta.start + 4, end: meta.end };
  const ilst = findBox(b, children, 'ilst');
  if (!ilst) return {};
  const item = (type: string) => {
    const box = findBox(b, ilst, type);
    const data = box && findBox(b, box, 'data');
    if (!data || data.start + 8 > data.end) return undefined;
    // `data`: a type indicator (1 UTF-8, 2 UTF-16 BE), a locale, then the value.
    const kind = u32be(b, data.start);
    const value = b.subarray(data.start + 8, Math.min(data.end, data.start + 8 + MAX_TEXT_BYTES));
    if (kind === 1) return cleanText(utf8(value));
    if (kind === 2) return cleanText(utf16(value, false));
    return undefined;
  };
  return withoutEmpty({ title: item('\u00a9nam'), artist: item('\u00a9ART') ?? item('aART') });
}

/** The payload of the first child box of `parent` of that type, cut to the bytes present. */
function findBox(b: Bytes, parent: Box, type: string): Box | null {
  let pos = parent.start;
  const limit = Math.min(parent.end, b.length);
  for (let n = 0; n < MAX_ATOMS && pos + 8 <= limit; n++) {
    let size = u32be(b, pos);
    let header = 8;
    if (size === 1) {
      // 64-bit size; anything past 2^32 is far beyond what was read anyway.
      const high = u32be(b, pos + 8);
      const low = u32be(b, pos + 12);
      if (high < 0 || low < 0) return null;
      size = high > 0 ? Number.MAX_SAFE_INTEGER : low;
      header = 16;
    } else if (size === 0) {
      size = limit - pos; // to the end of the enclosing box
    }
    if (size < header) return null;
    if (ascii(b, pos + 4, 4) === type) {
      return { start: pos + header, end: Math.min(pos + size, limit) };
    }
    pos += size;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// WAV: a RIFF LIST chunk of type INFO, with INAM (title) and IART (artist).

function readRiff(b: Bytes): Tags {
  let pos = 12;
  for (let n = 0; n < MAX_RIFF_CHUNKS && pos + 8 <= b.length; n++) {
    const size = u32le(b, pos + 4);
    if (size < 0) break;
    const start = pos + 8;
    if (ascii(b, pos, 4) === 'LIST' && ascii(b, start, 4) === 'INFO') {
      return readRiffInfo(b.subarray(start + 4, Math.min(start + size, b.length)));
    }
    pos = start + size + (size & 1); // chunks are padded to an even length
  }
  return {};
}

function readRiffInfo(b: Bytes): Tags {
  const tags: Tags = {};
  let pos = 0;
  for (let n = 0; n < MAX_RIFF_CHUNKS && pos + 8 <= b.length; n++) {
    const id = ascii(b, pos, 4);
    const size = u32le(b, pos + 4);
    if (size < 0) break;
    const start = pos + 8;
    if (id === 'INAM' || id === 'IART') {
      const value = b.subarray(start, Math.min(start + size, b.length, start + MAX_TEXT_BYTES));
      const nul = value.indexOf(0);
      const text = cleanText(utf8OrLatin1(nul < 0 ? value : value.subarray(0, nul)));
      if (id === 'INAM') tags.title ??= text;
      else tags.artist ??= text;
    }
    pos = start + size + (size & 1);
  }
  return withoutEmpty(tags);
}

// ---------------------------------------------------------------------------------------------
// Bytes (every reader returns -1 or '' when the bytes are not all there)

function toBytes(data: ArrayBuffer | Uint8Array): Bytes {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(0);
}

function ascii(b: Bytes, at: number, length: number): string {
  if (at < 0 || at + length > b.length) return '';
  let s = '';
  for (let i = at; i < at + length; i++) s += String.fromCharCode(b[i] ?? 0);
  return s;
}

function u24be(b: Bytes, at: number): number {
  if (at < 0 || at + 3 > b.length) return -1;
  return ((b[at] ?? 0) << 16) | ((b[at + 1] ?? 0) << 8) | (b[at + 2] ?? 0);
}

function u32be(b: Bytes, at: number): number {
  if (at < 0 || at + 4 > b.length) return -1;
  return (b[at] ?? 0) * 0x1000000 + (((b[at + 1] ?? 0) << 16) | ((b[at + 2] ?? 0) << 8) | (b[at + 3] ?? 0));
}

function u32le(b: Bytes, at: number): number {
  if (at < 0 || at + 4 > b.length) return -1;
  return (b[at + 3] ?? 0) * 0x1000000 + (((b[at + 2] ?? 0) << 16) | ((b[at + 1] ?? 0) << 8) | (b[at] ?? 0));
}

/** Four bytes of 7 bits each (ID3's "syncsafe" integer); -1 when a high bit is set. */
function syncsafe(b: Bytes, at: number): number {
  if (at < 0 || at + 4 > b.length) return -1;
  let v = 0;
  for (let i = at; i < at + 4; i++) {
    const byte = b[i] ?? 0;
    if (byte & 0x80) return -1;
    v = (v << 7) | byte;
  }
  return v;
}

function concat(parts: Bytes[]): Bytes {
  if (parts.length === 1 && parts[0]) return parts[0];
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function latin1(b: Bytes): string {
  let s = '';
  for (const byte of b) s += String.fromCharCode(byte);
  return s;
}

/** UTF-16 after an optional byte order mark; without one, `littleEndian` decides. */
function utf16(b: Bytes, littleEndian: boolean): string {
  let le = littleEndian;
  let start = 0;
  if (b[0] === 0xff && b[1] === 0xfe) {
    le = true;
    start = 2;
  } else if (b[0] === 0xfe && b[1] === 0xff) {
    le = false;
    start = 2;
  }
  let s = '';
  for (let i = start; i + 1 < b.length; i += 2) {
    const lo = b[i] ?? 0;
    const hi = b[i + 1] ?? 0;
    s += String.fromCharCode(le ? (hi << 8) | lo : (lo << 8) | hi);
  }
  return s;
}

const utf8Decoder = new TextDecoder('utf-8');
const strictUtf8Decoder = new TextDecoder('utf-8', { fatal: true });

function utf8(b: Bytes): string {
  return utf8Decoder.decode(b);
}

/** Formats that do not say their encoding (ID3v1, RIFF INFO) are UTF-8 when valid, else Latin-1. */
function utf8OrLatin1(b: Bytes): string {
  try {
    return strictUtf8Decoder.decode(b);
  } catch {
    return latin1(b);
  }
}

function firstValue(values: string[]): string | undefined {
  for (const v of values) {
    const clean = cleanText(v);
    if (clean !== undefined) return clean;
  }
  return undefined;
}

/** Several artists (ID3v2.4 NUL-separated values, repeated ARTIST comments) read "A, B". */
function joinValues(values: string[]): string | undefined {
  const clean = values.map(cleanText).filter((v): v is string => v !== undefined);
  return clean.length === 0 ? undefined : cleanText(clean.join(', '));
}

function withoutEmpty(tags: Tags): Tags {
  const out: Tags = {};
  if (tags.title !== undefined) out.title = tags.title;
  if (tags.artist !== undefined) out.artist = tags.artist;
  return out;
}
