import type { TestHooksWindow } from '../../src/client/media/testHooksApi.js';

/**
 * What the hooks need of a page: to run a function in it with one argument. A Playwright Page is
 * one; so is a puppeteer-core Page (Firefox, tests/support/firefox.ts), whose evaluate takes the
 * same call.
 */
export interface Evaluates {
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>;
}

/**
 * The app's read-only test hooks (`window.__jamsesh`, src/client/media/testHooks.ts) in a page of
 * any browser, for the E2E tests and the benchmark. `snapshot` is a loose record; a caller may name
 * the shape it reads.
 */
export const hooks = (page: Evaluates) => ({
  startProbe: () => page.evaluate(() => (window as unknown as TestHooksWindow).__jamsesh.startProbe()),
  clicks: () => page.evaluate(() => (window as unknown as TestHooksWindow).__jamsesh.clicks()),
  suspendOutput: () => page.evaluate(() => (window as unknown as TestHooksWindow).__jamsesh.suspendOutput()),
  useOutputDevice: (label: string) =>
    page.evaluate((l) => (window as unknown as TestHooksWindow).__jamsesh.useOutputDevice(l), label),
  simulateSpeakerDelay: (ms: number) =>
    page.evaluate((d) => (window as unknown as TestHooksWindow).__jamsesh.simulateSpeakerDelay(d), ms),
  startSourceProbe: () =>
    page.evaluate(() => (window as unknown as TestHooksWindow).__jamsesh.startSourceProbe()),
  sourceClicks: () => page.evaluate(() => (window as unknown as TestHooksWindow).__jamsesh.sourceClicks()),
  inSyncAt: () => page.evaluate(() => (window as unknown as TestHooksWindow).__jamsesh.inSyncAt()),
  milestones: () => page.evaluate(() => (window as unknown as TestHooksWindow).__jamsesh.milestones()),
  linkStats: () => page.evaluate(() => (window as unknown as TestHooksWindow).__jamsesh.linkStats()),
  routes: () => page.evaluate(() => (window as unknown as TestHooksWindow).__jamsesh.routes()),
  now: () => page.evaluate(() => (window as unknown as TestHooksWindow).__jamsesh.now()),
  prepareDecodeTest: (seconds: number) =>
    page.evaluate((s) => (window as unknown as TestHooksWindow).__jamsesh.prepareDecodeTest(s), seconds),
  decodePrepared: (kind: 'webcodecs' | 'wasm') =>
    page.evaluate((k) => (window as unknown as TestHooksWindow).__jamsesh.decodePrepared(k), kind),
  compareDecodes: () =>
    page.evaluate(() => (window as unknown as TestHooksWindow).__jamsesh.compareDecodes()),
  snapshot: <S = Record<string, unknown>>() =>
    page.evaluate(() => (window as unknown as TestHooksWindow).__jamsesh.snapshot()) as Promise<S>,
});
