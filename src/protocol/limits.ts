/**
 * Sizes and rates every party agrees on. The server enforces them; clients use them to
 * refuse bad input early (a name field's maxlength, a chat box's counter).
 */
export const LIMITS = {
  /** A text frame above this gets `message-too-large`; SDP with many candidates stays well below. */
  maxMessageBytes: 32 * 1024,
  /** Display names, after trimming and collapsing whitespace. */
  nameMaxLength: 32,
  /** One chat message. */
  chatMaxLength: 500,
  /** Chat messages kept per room and sent to whoever joins or comes back. */
  chatHistory: 50,
  /** An SDP offer/answer for one audio m-line and a data channel is 2-6 KB; leave headroom. */
  sdpMaxLength: 24 * 1024,
  candidateMaxLength: 1024,
  requestIdMaxLength: 64,
  tokenMaxLength: 128,
  peerIdMaxLength: 32,
} as const;

/**
 * Room codes: 6 symbols of Crockford's base32 (no I, L, O, U), read aloud without confusion.
 * 32^6 = 1.07e9 codes, so a guess hits one of 1,000 live rooms with p = 1e-6; the server also slows
 * down repeated wrong guesses from one address (see docs/protocol.md, "Room codes").
 */
export const ROOM_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const ROOM_CODE_LENGTH = 6;

/**
 * Turns what a person typed ("k7q-4mz", "K7Q 4MZ", "k7qamz" read off a screen with an O) into a
 * canonical code, or null if it cannot be one. Crockford's rules: O reads as 0, I and L as 1.
 */
export function normalizeRoomCode(input: string): string | null {
  const cleaned = input
    .toUpperCase()
    .replace(/[\s\-_.]/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (cleaned.length !== ROOM_CODE_LENGTH) return null;
  for (const ch of cleaned) if (!ROOM_CODE_ALPHABET.includes(ch)) return null;
  return cleaned;
}

/** "K7Q4MZ" -> "K7Q 4MZ": two groups of three are easier to read out. */
export function formatRoomCode(code: string): string {
  return `${code.slice(0, 3)} ${code.slice(3)}`;
}

/**
 * A display name as the room will show it: Unicode-normalised, control characters removed,
 * whitespace collapsed and trimmed. Returns null when nothing usable is left or it is too long.
 */
export function normalizeName(input: string): string | null {
  const name = input
    .normalize('NFC')
    // Tabs and line breaks become spaces before other control characters go.
    .replace(/\s+/gu, ' ')
    .replace(INVISIBLE, '')
    // A joiner counts only inside an emoji sequence (a family, a flag); elsewhere it is invisible.
    .replace(/\u200d(?!\p{Extended_Pictographic})/gu, '')
    .replace(/(?<!\p{Extended_Pictographic}|\p{Emoji_Modifier}|\ufe0f)\u200d/gu, '')
    .replace(/\s+/gu, ' ')
    .trim();
  if (name.length === 0 || [...name].length > LIMITS.nameMaxLength) return null;
  return name;
}

/**
 * Control and format characters (zero-width spaces, bidi overrides: they would let one name pass for
 * another or reverse the text around it), except the zero-width joiner that joined emoji need.
 */
export const INVISIBLE = /(?!\u200d)[\p{Cc}\p{Cf}]/gu;

/** Names are unique in a room regardless of case and width ("Sam", "sam" and "Ｓａｍ" read as one person). */
export function nameKey(name: string): string {
  // NFKC folds look-alike forms (full-width "Ｓａｍ", ligatures) onto the plain letters.
  return name.normalize('NFKC').toLocaleLowerCase('en-US');
}
