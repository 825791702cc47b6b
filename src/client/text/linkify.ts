/** A run of chat text: plain, or a web link to render as an anchor. */
export type Segment = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

// Only http(s), spelled out: `javascript:`, `data:` and bare `www.` never become links.
const URL_CANDIDATE = /https?:\/\/[^\s<>"'`]+/gi;
/** Punctuation that usually ends a sentence rather than a URL. */
const TRAILING = /[.,;:!?'"*_]+$/;

/**
 * Splits chat text into plain runs and http(s) links. Every segment is meant to be rendered as text
 * (never as HTML), so "<b>hi</b>" stays literally that; a link's `href` has passed the URL parser
 * with an http: or https: scheme.
 */
export function linkify(text: string): Segment[] {
  const segments: Segment[] = [];
  let plainStart = 0;
  for (const match of text.matchAll(URL_CANDIDATE)) {
    const start = match.index;
    // Not inside a word ("xhttp://..."); a lookbehind would do this but older Safari cannot parse one.
    if (start > 0 && /[\p{L}\p{N}_]/u.test(text.charAt(start - 1))) continue;
    const candidate = trimUrl(match[0]);
    const href = safeHref(candidate);
    if (!href) continue;
    if (start > plainStart) segments.push({ kind: 'text', text: text.slice(plainStart, start) });
    segments.push({ kind: 'link', text: candidate, href });
    plainStart = start + candidate.length;
  }
  if (plainStart < text.length) segments.push({ kind: 'text', text: text.slice(plainStart) });
  return segments;
}

/** Drops sentence punctuation and closing brackets that have no opening one inside the URL. */
function trimUrl(url: string): string {
  let out = url;
  for (;;) {
    const before = out;
    out = out.replace(TRAILING, '');
    for (const [open, close] of [
      ['(', ')'],
      ['[', ']'],
      ['{', '}'],
    ] as const) {
      if (out.endsWith(close) && count(out, close) > count(out, open)) out = out.slice(0, -1);
    }
    if (out === before) return out;
  }
}

function count(text: string, ch: string): number {
  return text.split(ch).length - 1;
}

function safeHref(candidate: string): string | null {
  try {
    const url = new URL(candidate);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    if (url.hostname === '') return null;
    return url.href;
  } catch {
    return null;
  }
}
