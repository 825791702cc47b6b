import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Evaluates } from '../support/audioHooks.js';
import {
  clickIn,
  type FirefoxBrowser,
  type FirefoxPage,
  firstPage,
  hostJamIn,
  joinJamIn,
  launchFirefox,
  pickFile,
  waitForText,
} from '../support/firefox.js';
import { type PulseServer, startPulse } from '../support/pulse.js';
import { clickWav, compareClicks, describeDevices, expectInSync, hooks, quantile } from './audio-helpers.js';
import { test as base, expect, hostJam, joinJam } from './fixtures.js';

/**
 * Firefox ESR in a jam with Chromium: the same app, the same test hooks, one Firefox per test,
 * driven by puppeteer-core (tests/support/firefox.ts) while Playwright drives the Chromium pages.
 */
const test = base.extend<{ firefox: () => Promise<FirefoxPage> }>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern.
  firefox: async ({}, use) => {
    let pulse: PulseServer | null = null;
    let browser: FirefoxBrowser | null = null;
    const errors: string[] = [];
    await use(async () => {
      pulse = await startPulse();
      browser = await launchFirefox(pulse, 'jamsesh_default');
      const page = await firstPage(browser);
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warn') errors.push(`${m.type()}: ${m.text()}`);
      });
      return page;
    });
    if (errors.length) console.log(`Firefox console:\n${errors.join('\n')}`);
    await (browser as FirefoxBrowser | null)?.close().catch(() => {});
    await (pulse as PulseServer | null)?.stop();
  },
});

/** startProbe(); if it never returns, the error says where it stopped (`window.__probeStage`). */
async function startProbe(page: Evaluates): Promise<boolean> {
  try {
    return await hooks(page).startProbe();
  } catch (err) {
    const stages = await page
      .evaluate(() => (window as unknown as { __probeStage?: string[] }).__probeStage ?? [])
      .catch(() => ['(unreadable)']);
    throw new Error(`startProbe failed (${String(err)}); its stages: ${stages.join('; ')}`);
  }
}

const fmt = (xs: number[]) =>
  `median ${quantile(xs, 0.5).toFixed(2)} ms, p95 ${quantile(xs, 0.95).toFixed(2)} ms, max ${Math.max(...xs).toFixed(2)} ms`;

test.describe('Firefox', () => {
  // The Firefox listener decodes with its WebCodecs, then with the app's WebAssembly decoder forced.
  for (const decoder of ['webcodecs', 'wasm'] as const)
    test(`a Firefox listener (${decoder} decoder) hears every click of a Chromium host in step with a Chromium listener`, async ({
      person,
      firefox,
      baseURL,
    }) => {
      test.setTimeout(120_000);
      const query = '?latency=playback'; // as in sync.spec.ts
      const foxQuery = decoder === 'wasm' ? `${query}&decoder=wasm` : query;
      const hana = await person('Hana');
      const code = await hostJam(hana, query);
      const ana = await person('Ana');
      await joinJam(ana, code, query);
      const fox = await firefox();
      await joinJamIn(fox, 'Fox', code, baseURL as string, foxQuery);
      const pages = [hana.page, ana.page, fox];
      for (const p of pages) expect(await startProbe(p)).toBe(true);

      await hana.page.getByTestId('source-test').click();
      await waitForText(fox, 'now-playing', /click track/i);
      await expectInSync(ana.page);
      await expect(
        hana.page.locator('[data-testid=member] [data-testid=member-sync][data-in-sync=true]'),
      ).toHaveCount(3, { timeout: 30_000 });

      await hana.page.waitForTimeout(3000);
      const from = await hooks(hana.page).now();
      await hana.page.waitForTimeout(10_000);
      const clicks = await Promise.all(
        pages.map(async (p) => (await hooks(p).clicks()).filter((t) => t >= from && t < from + 10_000)),
      );
      console.log(
        `clicks in 10 s: host ${clicks[0]?.length}, Chromium ${clicks[1]?.length}, Firefox ${clicks[2]?.length}`,
      );
      const { listenerSpread, toHost } = compareClicks(clicks, 500);
      console.log(
        `Firefox vs Chromium listener at the destination (${listenerSpread.length} clicks): ${fmt(listenerSpread)}`,
      );
      console.log(`listeners vs host (${toHost.length} clicks): ${fmt(toHost)}`);
      console.log(await describeDevices(pages, clicks, 500));
      console.log(`Firefox: ${JSON.stringify((await hooks(fox).snapshot()).context)}`);
      const snap = await hooks(fox).snapshot<{ listener: { decoder?: string | null } | null }>();
      expect(snap.listener?.decoder).toBe(decoder);
      for (const c of clicks) expect(c.length).toBeGreaterThanOrEqual(14);
      expect(quantile(listenerSpread, 0.5)).toBeLessThan(2);
      expect(quantile(toHost, 0.5)).toBeLessThan(2);
      expect(listenerSpread.filter((s) => s < 5).length / listenerSpread.length).toBeGreaterThanOrEqual(0.8);
    });

  test('a Firefox host plays the click track and then a file to a Chromium listener, in step', async ({
    person,
    firefox,
    baseURL,
  }) => {
    test.setTimeout(150_000);
    const query = '?latency=playback';
    const fox = await firefox();
    const code = await hostJamIn(fox, 'Fox', baseURL as string, query);
    const ana = await person('Ana');
    await joinJam(ana, code, query);
    for (const p of [fox, ana.page]) expect(await startProbe(p)).toBe(true);
    /** Both devices' clicks over `ms`: [host, listener]. */
    const clicksOver = async (ms: number) => {
      const from = await hooks(ana.page).now();
      await ana.page.waitForTimeout(ms);
      return Promise.all(
        [fox, ana.page].map(async (p) => (await hooks(p).clicks()).filter((t) => t >= from)),
      );
    };

    // The click track.
    await clickIn(fox, 'source-test');
    await expect(ana.page.getByTestId('now-playing')).toContainText(/click track/i);
    await expectInSync(ana.page);
    await ana.page.waitForTimeout(2000);
    const track = await clicksOver(5000);
    const testSkew = compareClicks(track, 500).toHost;
    console.log(
      `click track, clicks in 5 s: host ${track[0]?.length}, listener ${track[1]?.length}; listener vs host ${fmt(testSkew)}`,
    );
    console.log(await describeDevices([fox, ana.page], track, 500));
    for (const c of track) expect(c.length).toBeGreaterThanOrEqual(7);
    expect(quantile(testSkew, 0.5)).toBeLessThan(2);

    // A file, given to the file input as a person picks one.
    const dir = mkdtempSync(path.join(tmpdir(), 'jamsesh-ff-'));
    const file = path.join(dir, 'Test Artist - Click Song.wav');
    writeFileSync(file, clickWav(30));
    await pickFile(fox, 'file-input', file);
    await waitForText(fox, 'queue-item', /Click Song/);
    await clickIn(fox, 'file-play');
    await expect(ana.page.getByTestId('now-playing')).toContainText('Click Song');
    await expect(ana.page.getByTestId('file-progress')).toContainText('/ 0:30');
    await expectInSync(ana.page);
    await ana.page.waitForTimeout(2000);
    const files = await clicksOver(5000);
    const fileSkew = compareClicks(files, 500).toHost;
    console.log(
      `file, clicks in 5 s: host ${files[0]?.length}, listener ${files[1]?.length}; listener vs host ${fmt(fileSkew)}`,
    );
    console.log(await describeDevices([fox, ana.page], files, 500));
    rmSync(dir, { recursive: true, force: true });
    for (const c of files) expect(c.length).toBeGreaterThanOrEqual(7);
    expect(quantile(fileSkew, 0.5)).toBeLessThan(2);
  });
});
