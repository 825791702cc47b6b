/**
 * The path of a request target (`/ws?x=1` -> `/ws`; `http://host/ws` -> `/ws`), or null when the
 * target is not a URL at all (`//[`): the caller answers 400 instead of letting the parser throw.
 */
export function requestPath(target: string | undefined): string | null {
  try {
    return new URL(target ?? '/', 'http://x').pathname;
  } catch {
    return null;
  }
}
