export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `check` every 250 ms until it returns true or `timeoutMs` passes. Returns whether it did;
 * with a `what`, a timeout throws an error naming it instead.
 */
export async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string | null,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // a page still loading: try again
    }
    if (performance.now() >= deadline) break;
    await sleep(250);
  }
  if (what !== null) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
  return false;
}
