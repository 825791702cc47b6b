/**
 * Debian's Firefox ESR for the tests (scripts/install-test-deps.sh installs it; nothing is
 * downloaded), driven over WebDriver BiDi by puppeteer-core, as Playwright drives Chromium.
 * Its audio plays into a sink of the tests' private PulseAudio daemon (tests/support/pulse.ts):
 * headless Firefox keeps every AudioContext `suspended` unless a sound server answers.
 */
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer-core';
import type { Evaluates } from './audioHooks.js';
import type { PulseServer } from './pulse.js';

/** A puppeteer Page as the minimal evaluate() interface the hooks share with Playwright's. */
const hooksPage = (page: Page): Evaluates => page;

export type { Browser as FirefoxBrowser, Page as FirefoxPage };

export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

/** The preferences that proved necessary here, as CHROMIUM_ARGS are for Chromium. */
export const FIREFOX_PREFS: Record<string, unknown> = {
  // With only loopback, WebRTC gathers no candidates without these (host addresses as mDNS names
  // that nothing here resolves).
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  // getUserMedia: a fake device (a tone) and no permission prompt.
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  // Audio starts without a user gesture.
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
};

/** Why Firefox cannot run here, or null. */
export function firefoxMissing(): string | null {
  return existsSync(FIREFOX_PATH) ? null : `${FIREFOX_PATH} missing: run scripts/install-test-deps.sh`;
}

/**
 * Launches headless Firefox playing into `sink` of `pulse` (PULSE_SERVER and the rest of the
 * daemon's client environment, PULSE_SINK), as launchOnSink does for Chromium. Use its one page
 * (firstPage): a page opened beside it is a background tab, whose timers Firefox throttles to
 * one a second and whose audio it holds until the tab is shown.
 */
export async function launchFirefox(pulse: PulseServer, sink: string): Promise<Browser> {
  const missing = firefoxMissing();
  if (missing) throw new Error(missing);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('PULSE_')) env[k] = v;
  Object.assign(env, pulse.env, { PULSE_SINK: sink });
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    protocol: 'webDriverBiDi',
    extraPrefsFirefox: FIREFOX_PREFS,
    env,
    timeout: 60_000,
    // A page call that never returns (seen on a loaded machine) fails within this, not at the
    // test's timeout (puppeteer's default is 180 s).
    protocolTimeout: 30_000,
  });
}

/** The tab Firefox opened with: the foreground one. */
export async function firstPage(browser: Browser): Promise<Page> {
  const [page] = await browser.pages();
  if (!page) throw new Error('Firefox opened no page');
  return page;
}

// --- The app's pages in Firefox: what tests/e2e/fixtures.ts does with Playwright's locators ------

const byId = (testId: string) => `[data-testid=${testId}]`;

/**
 * Polls `fn` in the page every 100 ms until it returns something truthy. Not puppeteer's
 * waitForFunction: that builds its function in the page with `new Function`, which the app's
 * Content-Security-Policy (script-src 'self') forbids; a plain evaluate is not subject to it.
 */
async function poll<T, A>(page: Page, fn: (arg: A) => T, arg: A, timeout: number): Promise<T | null> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = (await hooksPage(page).evaluate(fn, arg)) as T;
    if (v) return v;
    if (Date.now() > deadline) return null;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resolves once the element `testId`'s text matches `pattern`; rejects after `timeout` ms. */
export async function waitForText(
  page: Page,
  testId: string,
  pattern: RegExp,
  timeout = 15_000,
): Promise<void> {
  const text = (sel: string) => document.querySelector(sel)?.textContent ?? '';
  const ok = await poll(
    page,
    ([sel, source, flags]: [string, string, string]) =>
      new RegExp(source, flags).test(document.querySelector(sel)?.textContent ?? ''),
    [byId(testId), pattern.source, pattern.flags],
    timeout,
  );
  if (!ok) {
    const seen = await page.evaluate(text, byId(testId));
    throw new Error(`${testId} did not match ${pattern} within ${timeout} ms: ${JSON.stringify(seen)}`);
  }
}

/** The room code the page shows, once it shows one. */
async function roomCode(page: Page): Promise<string> {
  const code = await poll(
    page,
    (sel: string) => {
      const c = document.querySelector(sel)?.getAttribute('data-code') ?? '';
      return /^[0-9A-Z]{6}$/.test(c) ? c : '';
    },
    byId('room-code'),
    15_000,
  );
  if (!code) throw new Error('no room code shown within 15 s');
  return code;
}

/**
 * The element `testId`, once the page has it. Not puppeteer's locators: they wait for an element
 * through page functions that the app's Content-Security-Policy refuses to build (see poll).
 */
async function element(page: Page, testId: string, timeout = 15_000) {
  if (!(await poll(page, (sel: string) => document.querySelector(sel) !== null, byId(testId), timeout)))
    throw new Error(`no ${testId} within ${timeout} ms`);
  const el = await page.$(byId(testId));
  if (!el) throw new Error(`no ${testId}`);
  return el;
}

/** Types `text` into the input `testId`. */
async function fill(page: Page, testId: string, text: string): Promise<void> {
  await (await element(page, testId)).type(text);
}

/** Clicks the element `testId`. */
export async function clickIn(page: Page, testId: string): Promise<void> {
  await (await element(page, testId)).click();
}

/** Gives the file input `testId` a file from disk, as a person picking it does. */
export async function pickFile(page: Page, testId: string, file: string): Promise<void> {
  await ((await element(page, testId)) as ElementHandle<HTMLInputElement>).uploadFile(file);
}

/** Opens the landing page at `origin`, types a name and hosts a jam; returns the room code shown. */
export async function hostJamIn(page: Page, name: string, origin: string, query = ''): Promise<string> {
  await page.goto(`${origin}/${query}`);
  await fill(page, 'name-input', name);
  await clickIn(page, 'host-button');
  return roomCode(page);
}

/** Opens the landing page at `origin`, types a name and the code, and joins. */
export async function joinJamIn(
  page: Page,
  name: string,
  code: string,
  origin: string,
  query = '',
): Promise<void> {
  await page.goto(`${origin}/${query}`);
  await fill(page, 'name-input', name);
  await fill(page, 'code-input', code);
  await clickIn(page, 'join-button');
  if ((await roomCode(page)) !== code.toUpperCase()) throw new Error(`joined another room than ${code}`);
}
