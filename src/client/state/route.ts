import { formatRoomCode, normalizeRoomCode } from '../../protocol/index.js';

/** What the address bar asks for. The app has two places: the start page and a jam's join link. */
export interface Route {
  /** The jam code in a /join/CODE path, canonical; null when there is none or it is not a code. */
  code: string | null;
  /** What to put in the code field: the formatted code, or the raw text if it is not one. */
  codeText: string;
}

const JOIN_PREFIX = '/join/';

export function parseRoute(pathname: string): Route {
  if (!pathname.startsWith(JOIN_PREFIX)) return { code: null, codeText: '' };
  let raw = pathname.slice(JOIN_PREFIX.length).replace(/\/+$/, '');
  try {
    raw = decodeURIComponent(raw);
  } catch {
    // A broken %-escape: show it as it is.
  }
  const code = normalizeRoomCode(raw);
  return { code, codeText: code ? formatRoomCode(code) : raw.slice(0, 32) };
}

export function joinPath(code: string): string {
  return `${JOIN_PREFIX}${code}`;
}

/** The link to share: opening it fills the code in on the start page. */
export function joinLink(origin: string, code: string): string {
  return `${origin}${joinPath(code)}`;
}
