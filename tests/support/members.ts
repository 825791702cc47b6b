import type { Page } from '@playwright/test';

/**
 * Resolves true once `count` members have each been seen in sync in this page's member list (the
 * host's shows everyone's), not necessarily all at one instant: on a loaded machine each one's flag
 * drops for a moment at every stall of its audio, so "all at once" can take minutes. False after
 * `timeoutMs`.
 */
export async function waitAllInSync(host: Page, count: number, timeoutMs = 60_000): Promise<boolean> {
  const seen = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const flags = await host
      .getByTestId('member')
      .evaluateAll((els) =>
        els.map((el) => [
          el.getAttribute('data-peer-id') ?? '',
          el.querySelector('[data-testid=member-sync]')?.getAttribute('data-in-sync') === 'true',
        ]),
      );
    for (const [who, inSync] of flags) if (inSync) seen.add(String(who));
    if (seen.size >= count) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}
