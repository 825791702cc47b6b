import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.js';
import { clickWav } from './audio-helpers.js';
import { expect, hostJam, joinJam, type Person, test } from './fixtures.js';

const PHONE = { width: 390, height: 844 };

/**
 * What a page asked of Screen Wake Lock and the Media Session, recorded by wrapping the real
 * browser calls before the app loads (the calls still go through). Headless Chromium never hides a
 * page (measured: a background tab and a minimized window both stay 'visible'), so `hide`/`show`
 * stand in for a locked screen: they set `document.visibilityState` and fire visibilitychange, and
 * `hide` releases the held lock as a browser does when it hides a page.
 */
async function watchPhoneApis(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as {
      wakeRequests: number;
      wakeLocks: WakeLockSentinel[];
      actions: Record<string, MediaSessionActionHandler | null>;
    };
    w.wakeRequests = 0;
    w.wakeLocks = [];
    w.actions = {};
    const lock = navigator.wakeLock;
    if (lock) {
      const request = lock.request.bind(lock);
      lock.request = async (type) => {
        w.wakeRequests++;
        const sentinel = await request(type);
        w.wakeLocks.push(sentinel);
        return sentinel;
      };
    }
    const session = navigator.mediaSession;
    const setActionHandler = session.setActionHandler.bind(session);
    session.setActionHandler = (action, handler) => {
      w.actions[action] = handler;
      setActionHandler(action, handler);
    };
  });
}

const wakeRequests = (page: Page) =>
  page.evaluate(() => (window as unknown as { wakeRequests: number }).wakeRequests);
const heldLocks = (page: Page) =>
  page.evaluate(
    () =>
      (window as unknown as { wakeLocks: WakeLockSentinel[] }).wakeLocks.filter((l) => !l.released).length,
  );

async function setVisibility(page: Page, state: 'hidden' | 'visible'): Promise<void> {
  await page.evaluate(async (s) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => s === 'hidden' });
    if (s === 'hidden') {
      for (const l of (window as unknown as { wakeLocks: WakeLockSentinel[] }).wakeLocks) await l.release();
    }
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);
}

const lockScreen = (page: Page) =>
  page.evaluate(() => {
    const m = navigator.mediaSession.metadata;
    return {
      metadata: m ? { title: m.title, artist: m.artist, album: m.album } : null,
      playback: navigator.mediaSession.playbackState,
    };
  });

const actionsSet = (page: Page) =>
  page.evaluate(() =>
    Object.entries((window as unknown as { actions: Record<string, unknown> }).actions)
      .filter(([, h]) => h !== null)
      .map(([a]) => a)
      .sort(),
  );

/** Presses a lock-screen button: calls the handler the app set for it, as the system would. */
async function press(page: Page, action: MediaSessionAction): Promise<void> {
  await page.evaluate(
    (a) =>
      (window as unknown as { actions: Record<string, MediaSessionActionHandler> }).actions[a]?.({
        action: a,
      }),
    action,
  );
}

async function playFile(host: Person): Promise<void> {
  await host.page.getByTestId('file-input').setInputFiles({
    name: 'Test Artist - Click Song.wav',
    mimeType: 'audio/wav',
    buffer: clickWav(40),
  });
  await expect(host.page.getByTestId('queue-item')).toHaveCount(1);
  await host.page.getByTestId('file-play').click();
}

test.describe('on a phone', () => {
  test('the app is installable: Chromium reads its manifest without an error and finds nothing missing', async ({
    playwright,
    baseURL,
  }) => {
    // A real profile, not the incognito-like context every other test uses: Chromium refuses to
    // install from incognito ('in-incognito'), which would hide any other installability error.
    const context = await playwright.chromium.launchPersistentContext(
      mkdtempSync(path.join(tmpdir(), 'jamsesh-profile-')),
      { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, baseURL, viewport: PHONE },
    );
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      // A join link, as a friend opens it: same app, same manifest; installed, it opens at /.
      await page.goto('/join/K7Q4MZ');
      const fetched = await page.evaluate(async () => {
        const link = document.querySelector<HTMLLinkElement>('link[rel=manifest]');
        const res = await fetch(link?.href ?? '');
        return { type: res.headers.get('content-type'), manifest: await res.json() };
      });
      expect(fetched.type).toBe('application/manifest+json');
      expect(fetched.manifest).toMatchObject({ start_url: '/', display: 'standalone' });
      const cdp = await context.newCDPSession(page);
      const manifest = (await cdp.send('Page.getAppManifest')) as { errors: unknown[]; url: string };
      expect(manifest.errors).toEqual([]);
      expect(manifest.url).toMatch(/\/manifest\.webmanifest$/);
      // Chromium fetches the icons and checks them, and the start URL's scope, before it answers.
      await expect
        .poll(
          async () =>
            ((await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: unknown[] })
              .installabilityErrors,
        )
        .toEqual([]);
    } finally {
      await context.close();
    }
  });

  test("a listener's lock screen shows the song, its artist and the room; the host's drives its queue", async ({
    person,
  }) => {
    test.setTimeout(120_000);
    const hana = await person('Hana');
    await watchPhoneApis(hana.page);
    const code = await hostJam(hana);
    const ana = await person('Ana', PHONE);
    await watchPhoneApis(ana.page);
    await joinJam(ana, code);
    const album = `JamSesh · ${code.slice(0, 3)} ${code.slice(3)}`;
    const shows = (title: string, artist: string, playback: MediaSessionPlaybackState) =>
      expect.poll(() => lockScreen(ana.page)).toEqual({ metadata: { title, artist, album }, playback });
    await shows('Waiting for the host to play something', '', 'none');

    await playFile(hana);
    await expect(ana.page.getByTestId('now-playing')).toContainText('Click Song');
    await shows('Click Song', 'Test Artist', 'playing');
    // A listener follows the host: nothing to press on her lock screen. The host's has the queue.
    expect(await actionsSet(ana.page)).toEqual([]);
    await expect.poll(() => actionsSet(hana.page)).toEqual(['nexttrack', 'pause', 'play', 'previoustrack']);

    // Pause from the host's lock screen: the queue pauses, and everyone's lock screen says so.
    await press(hana.page, 'pause');
    await expect(ana.page.getByTestId('file-progress')).toContainText('paused');
    await shows('Click Song', 'Test Artist', 'paused');
    await press(hana.page, 'play');
    await shows('Click Song', 'Test Artist', 'playing');

    // Leaving the room clears it.
    await ana.page.getByTestId('leave-button').click();
    await expect.poll(() => lockScreen(ana.page)).toEqual({ metadata: null, playback: 'none' });
  });

  test('the screen stays on in a room, again after the page was hidden, and the choice is kept', async ({
    person,
  }) => {
    test.setTimeout(120_000);
    const hana = await person('Hana');
    const code = await hostJam(hana);
    const ana = await person('Ana', PHONE);
    await watchPhoneApis(ana.page);
    await ana.page.goto('/');
    expect(await wakeRequests(ana.page)).toBe(0);
    await joinJam(ana, code);
    const toggle = ana.page.getByTestId('keep-awake');
    const status = ana.page.getByTestId('keep-awake-status');
    await expect(toggle).toBeVisible();
    await expect(toggle).toBeChecked();
    // Headless Chromium grants the lock (measured here; a phone on battery saver may not).
    await expect(status).toHaveAttribute('data-status', 'held');
    expect(await wakeRequests(ana.page)).toBe(1);
    expect(await heldLocks(ana.page)).toBe(1);

    // The music plays; the phone locks (the page is hidden, the browser lets the lock go) for 2 s.
    await hana.page.getByTestId('source-test').click();
    await expect(ana.page.getByTestId('sync-state')).toHaveAttribute('data-in-sync', 'true', {
      timeout: 30_000,
    });
    await setVisibility(ana.page, 'hidden');
    await expect(status).toHaveAttribute('data-status', 'waiting');
    await ana.page.waitForTimeout(2000);
    expect(await wakeRequests(ana.page)).toBe(1);
    await setVisibility(ana.page, 'visible');
    await expect(status).toHaveAttribute('data-status', 'held');
    expect(await wakeRequests(ana.page)).toBe(2);
    // And the page says how it comes back in step.
    const back = ana.page.getByTestId('back-in-step');
    await expect(back).toBeVisible();
    await expect(back).toHaveAttribute('data-in-step', 'true', { timeout: 15_000 });
    console.log(
      `after 2 s hidden: ${await back.textContent({ timeout: 1000 }).catch(() => '(gone already)')}`,
    );

    // Turned off, the lock is let go, and after a reload it stays off.
    await toggle.uncheck();
    await expect(status).toHaveAttribute('data-status', 'off');
    await expect.poll(() => heldLocks(ana.page)).toBe(0);
    await ana.page.reload();
    await expect(ana.page.getByTestId('room-code')).toHaveAttribute('data-code', code);
    await expect(ana.page.getByTestId('keep-awake')).not.toBeChecked();
    await ana.page.waitForTimeout(500);
    expect(await wakeRequests(ana.page)).toBe(0);
  });

  test('a browser without Screen Wake Lock says so plainly', async ({ person }) => {
    const hana = await person('Hana');
    const code = await hostJam(hana);
    const ana = await person('Ana', PHONE);
    await ana.page.addInitScript(() => {
      // As in Safari before 16.4 or Firefox before 126.
      delete (Navigator.prototype as { wakeLock?: unknown }).wakeLock;
    });
    await joinJam(ana, code);
    await expect(ana.page.getByTestId('keep-awake')).toBeDisabled();
    await expect(ana.page.getByTestId('keep-awake-status')).toHaveAttribute('data-status', 'unsupported');
    await expect(ana.page.getByTestId('keep-awake-status')).toContainText('cannot keep the screen on');
  });

  test("a listener's first screen shows what plays, whether it is in sync, and the volume; settings wait behind one tap", async ({
    person,
  }) => {
    test.setTimeout(120_000);
    const hana = await person('Hana');
    const code = await hostJam(hana);
    const ana = await person('Ana', PHONE);
    await joinJam(ana, code);
    await hana.page.getByTestId('source-test').click();
    await expect(ana.page.getByTestId('sync-state')).toHaveAttribute('data-in-sync', 'true', {
      timeout: 30_000,
    });
    for (const id of ['now-playing', 'sync-state', 'volume', 'settings-toggle']) {
      const box = await ana.page.getByTestId(id).boundingBox();
      expect(box, id).not.toBeNull();
      expect((box?.y ?? 0) + (box?.height ?? 0), `${id} within the first screen`).toBeLessThanOrEqual(
        PHONE.height,
      );
    }
    // The expert settings are behind the disclosure, closed on a phone...
    for (const id of ['relay-only', 'offset', 'own-sync'])
      await expect(ana.page.getByTestId(id)).toBeHidden();
    await ana.page.getByTestId('settings-toggle').click();
    for (const id of ['relay-only', 'offset', 'own-sync'])
      await expect(ana.page.getByTestId(id)).toBeVisible();
    // ...and open where there is room (every other test runs at 1280x800 and finds them at once).
    await expect(hana.page.getByTestId('settings')).toHaveAttribute('open', '');
    await expect(hana.page.getByTestId('offset')).toBeVisible();
  });
});
