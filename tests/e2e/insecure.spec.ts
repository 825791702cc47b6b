import type { Page } from '@playwright/test';
import { ServerProcess } from '../support/serverProcess.js';
import { expect, expectMembers, hostJam, joinJam, type Person, test } from './fixtures.js';

/**
 * A page opened over plain http at a name that is not loopback, as a phone opens
 * http://<LAN address>:8080: the browser gives it no secure context, so no AudioWorklet and no
 * WebCodecs. The project maps `jamsesh.test` to 127.0.0.1 in Chromium (traffic stays on loopback);
 * the server runs with HTTPS off, so nothing sends the page to https and the page itself must cope.
 */
const port = Number(process.env.E2E_INSECURE_PORT);
const origin = `http://jamsesh.test:${port}`;
/** A second server, behind an https proxy in real life: its PUBLIC_URL is where the page should go. */
const proxiedPort = port + 1;
const proxiedOrigin = `http://jamsesh.test:${proxiedPort}`;
const PUBLIC_URL = 'https://jam.example.org';
/** How long the page is watched for a message that comes back, or errors that keep coming. */
const WATCH_MS = 6000;

let server: ServerProcess;
let proxied: ServerProcess;
test.beforeAll(async () => {
  server = new ServerProcess(port, { ALLOWED_ORIGINS: origin });
  proxied = new ServerProcess(proxiedPort, { ALLOWED_ORIGINS: proxiedOrigin, PUBLIC_URL });
  await Promise.all([server.start(), proxied.start()]);
});
test.afterAll(async () => {
  await Promise.all([server.stop(), proxied.stop()]);
});

/** Every error the page logs or throws, from now on. */
function errorsOf(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

/** How long the page takes to run a trivial script (a page stuck in a loop never answers). */
async function answerMs(page: Page): Promise<number> {
  const t0 = Date.now();
  await page.evaluate(() => document.title);
  return Date.now() - t0;
}

async function expectToldOnce(p: Person, link = false): Promise<void> {
  const told = p.page.getByTestId('audio-unsupported');
  await expect(told).toHaveCount(1);
  await expect(told).toHaveAttribute('data-cause', 'insecure-context');
  await expect(told).toContainText('can neither listen nor host');
  await expect(told).toContainText('opened over plain http at a network address');
  if (!link) await expect(told).toContainText('open this page with https:// instead');
  // The one alert on the page: no second error about audio, no "Starting audio..." that never ends.
  await expect(p.page.getByRole('alert')).toHaveCount(1);
  await expect(p.page.getByTestId('audio-error')).toHaveCount(0);
  await expect(p.page.getByText('Starting audio...')).toHaveCount(0);
}

test.describe('a page over plain http at a network address', () => {
  test('hosts and joins without sound, says why once, and chat and members work', async ({ person }) => {
    const hana = await person('Hana');
    const hanaErrors = errorsOf(hana.page);
    await hana.page.goto(`${origin}/`);
    expect(await hana.page.evaluate(() => window.isSecureContext)).toBe(false);
    expect(await hana.page.evaluate(() => location.host)).toBe(`jamsesh.test:${port}`);
    // The start page says it before anyone picks a role.
    const note = hana.page.getByTestId('capabilities');
    await expect(note).toContainText('This page can neither listen nor host');
    await expect(note).toContainText('open this page with https:// instead');
    await expect(note).toHaveAttribute('data-cause', 'insecure-context');
    await expect(note).toHaveAttribute('data-listen', 'no');
    await expect(note).toHaveAttribute('data-host', 'no');
    await expect(note).toHaveAttribute('data-sources', '');

    const code = await hostJam(hana, '', origin);
    await expectToldOnce(hana);

    const ben = await person('Ben');
    const benErrors = errorsOf(ben.page);
    await joinJam(ben, code, '', origin);
    expect(await ben.page.evaluate(() => window.isSecureContext)).toBe(false);
    await expectToldOnce(ben);
    for (const p of [hana, ben]) await expectMembers(p.page, ['Hana', 'Ben']);

    await hana.page.getByTestId('chat-input').fill('no sound here, but hello');
    await hana.page.getByTestId('chat-send').click();
    await expect(ben.page.getByTestId('chat-message').last()).toContainText('no sound here, but hello');
    await ben.page.getByTestId('chat-input').fill('hello back');
    await ben.page.getByTestId('chat-input').press('Enter');
    await expect(hana.page.getByTestId('chat-message').last()).toContainText('hello back');

    // Nothing keeps trying: after a while the message is still one, the pages answer at once and
    // log no new errors.
    const before = [hanaErrors.length, benErrors.length];
    await hana.page.waitForTimeout(WATCH_MS);
    for (const p of [hana, ben]) {
      await expectToldOnce(p);
      expect(await answerMs(p.page)).toBeLessThan(1000);
    }
    expect([hanaErrors.length, benErrors.length]).toEqual(before);
    // What there is comes from loading the page (Chromium's word on COOP/COEP at an untrustworthy
    // origin), never one per attempt.
    expect(hanaErrors.length, hanaErrors.join('\n')).toBeLessThanOrEqual(2);
    expect(benErrors.length, benErrors.join('\n')).toBeLessThanOrEqual(2);
    console.log(
      `insecure page: errors logged host ${hanaErrors.length}, listener ${benErrors.length}; ` +
        `script answers in ${await answerMs(hana.page)} ms / ${await answerMs(ben.page)} ms; ` +
        `errors: ${[...hanaErrors, ...benErrors].map((e) => e.slice(0, 120)).join(' | ')}`,
    );
    // The room is a room: the host still has it (the listener is listed, the code shown).
    await expect(hana.page.getByTestId('room-code')).toHaveAttribute('data-code', code);
  });

  test("links to the same page at the server's https address when the server knows it", async ({
    person,
  }) => {
    const hana = await person('Hana');
    const code = await hostJam(hana, '', proxiedOrigin);
    await expectToldOnce(hana, true);
    const link = hana.page.getByTestId('secure-link');
    await expect(link).toHaveAttribute('href', `${PUBLIC_URL}/join/${code}`);
    await expect(link).toHaveText(`${PUBLIC_URL}/join/${code}`);
  });
});

test.describe('a device whose audio output fails to start', () => {
  test('says so once, keeps the room, and tries again only when asked', async ({ person }) => {
    const hana = await person('Hana');
    // The worklets never load (as on a device whose audio service is broken); everything else is real.
    await hana.page.addInitScript(() => {
      const tries = { n: 0 };
      (window as unknown as { __addModuleTries: typeof tries }).__addModuleTries = tries;
      AudioWorklet.prototype.addModule = () => {
        tries.n++;
        return Promise.reject(new DOMException('no audio service', 'AbortError'));
      };
    });
    const errors = errorsOf(hana.page);
    const code = await hostJam(hana);
    const tries = () =>
      hana.page.evaluate(() => (window as unknown as { __addModuleTries: { n: number } }).__addModuleTries.n);
    await expect(hana.page.getByTestId('audio-error')).toHaveText('Could not start audio on this device.');
    await hana.page.waitForTimeout(3000);
    await expect(hana.page.getByRole('alert')).toHaveCount(1);
    expect(await answerMs(hana.page)).toBeLessThan(1000);
    // One start (Player.create loads two worklets at once), in the first gesture on the start page;
    // the Host click and joining the room do not start it again.
    const first = await tries();
    expect(first).toBe(2);
    expect(errors).toEqual([]);

    await hana.page.getByTestId('retry-audio').click();
    await expect.poll(tries).toBe(first + 2);
    await expect(hana.page.getByTestId('audio-error')).toHaveCount(1);
    await hana.page.waitForTimeout(2000);
    expect(await tries()).toBe(first + 2);
    await hana.page.getByTestId('chat-input').fill('still here');
    await hana.page.getByTestId('chat-send').click();
    await expect(hana.page.getByTestId('chat-message').last()).toContainText('still here');
    await expect(hana.page.getByTestId('room-code')).toHaveAttribute('data-code', code);
  });
});

test.describe('a browser that lacks part of what hosting needs', () => {
  test('without an Opus encoder it is told on the start page it can listen but not host', async ({
    person,
  }) => {
    const hana = await person('Hana');
    // As a browser with WebCodecs decoding but no encoding; everything else is real Chromium.
    await hana.page.addInitScript(() => {
      Reflect.deleteProperty(window, 'AudioEncoder');
    });
    await hana.page.goto('/');
    const note = hana.page.getByTestId('capabilities');
    await expect(note).toHaveText('This browser can listen but not host (it lacks WebCodecs Opus encoding).');
    await expect(note).toHaveAttribute('data-listen', 'yes');
    await expect(note).toHaveAttribute('data-host', 'no');

    await hostJam(hana);
    const told = hana.page.getByTestId('audio-unsupported');
    await expect(told).toContainText('This browser can listen but not host');
    await expect(hana.page.getByRole('alert')).toHaveCount(1);
    await expect(hana.page.getByTestId('source-test')).toHaveCount(0);
    await expect(hana.page.getByTestId('file-add')).toHaveCount(0);
  });

  test('a phone is offered files, mic and the click track, and told why not a tab', async ({ person }) => {
    const hana = await person('Hana', { width: 390, height: 844 });
    // What Chrome on Android reports through User-Agent Client Hints.
    await hana.page.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, 'userAgentData', {
        get: () => ({ brands: [{ brand: 'Chromium', version: '140' }], mobile: true, platform: 'Android' }),
      });
    });
    await hana.page.goto('/');
    const note = hana.page.getByTestId('capabilities');
    await expect(note).toHaveText('This phone can listen; to host music from it, use Files or Mic.');
    await expect(note).toHaveAttribute('data-sources', 'file mic test');

    await hostJam(hana);
    for (const id of ['source-mic', 'source-test', 'file-add']) {
      await expect(hana.page.getByTestId(id)).toBeVisible();
    }
    await expect(hana.page.getByTestId('source-tab')).toHaveCount(0);
    await expect(hana.page.getByTestId('source-unavailable-tab')).toHaveText(
      "Sharing a tab's sound needs Chrome, Edge or Opera on a computer.",
    );
    await expect(hana.page.getByTestId('capabilities')).toHaveText(
      'This phone can listen; to host music from it, use Files or Mic.',
    );
  });
});
