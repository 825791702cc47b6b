/**
 * Screenshots of the start page, the host's page and a listener's page, on a phone (390x844) and
 * on a computer (1280x800), into docs/screenshots/: `npm run build:test && npx tsx scripts/screenshots.ts`.
 * It starts the built server (the test build, dist/client-test, as the E2E tests do) on
 * SCREENSHOT_PORT (default 18961) and Debian's Chromium; the host plays a file of clicks, so the
 * listener's page shows a title, an artist and "In sync". Only what the first screen shows is
 * captured: that is what the phone layout is about.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, expect, type Page } from '@playwright/test';
import { clickWav } from '../tests/e2e/audio-helpers.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/support/chromium.js';
import { ServerProcess } from '../tests/support/serverProcess.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'docs/screenshots');
const SIZES = {
  phone: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true },
  desktop: { viewport: { width: 1280, height: 800 }, isMobile: false, hasTouch: false },
} as const;

async function open(browser: Browser, size: keyof typeof SIZES, url: string): Promise<Page> {
  const context = await browser.newContext({ ...SIZES[size], deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

async function shoot(page: Page, name: string): Promise<void> {
  // No blinking caret or a level meter caught mid-swing.
  await page
    .locator(':focus')
    .evaluate((el: HTMLElement) => el.blur())
    .catch(() => {});
  // The first screen, as someone opening the page sees it (sending the chat line scrolled it).
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(OUT, `${name}.png`), animations: 'disabled', caret: 'hide' });
  console.log(`docs/screenshots/${name}.png`);
}

mkdirSync(OUT, { recursive: true });
const server = new ServerProcess(Number(process.env.SCREENSHOT_PORT ?? 18961));
await server.start();
try {
  for (const size of Object.keys(SIZES) as Array<keyof typeof SIZES>) {
    // A browser per size: in one browser, the second round's file input hung (pages left behind).
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const host = await open(browser, size, `${server.url}/`);
    await host.getByTestId('name-input').fill('Hana');
    await shoot(host, `landing-${size}`);
    await host.getByTestId('host-button').click();
    const code = (await host.getByTestId('room-code').getAttribute('data-code')) as string;

    const listener = await open(browser, size, `${server.url}/join/${code}`);
    await listener.getByTestId('name-input').fill('Ana');
    await listener.getByTestId('join-button').click();
    await expect(listener.getByTestId('room-code')).toHaveAttribute('data-code', code);

    await host.getByTestId('file-input').setInputFiles({
      name: 'The Loopbacks - Sample Rate Blues.wav',
      mimeType: 'audio/wav',
      // Short: the file crosses into the page whole (11 MB a minute); a 3-minute one timed out.
      buffer: clickWav(45, 2),
    });
    await host.getByTestId('file-play').click();
    await expect(listener.getByTestId('sync-state')).toHaveAttribute('data-in-sync', 'true', {
      timeout: 30_000,
    });
    await listener.getByTestId('chat-input').fill('In sync from the kitchen!');
    await listener.getByTestId('chat-send').click();
    await expect(host.getByTestId('chat-message')).toHaveCount(1);
    await shoot(host, `host-${size}`);
    await shoot(listener, `listener-${size}`);
    await browser.close();
  }
} finally {
  await server.stop();
}
