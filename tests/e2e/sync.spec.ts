import { waitAllInSync } from '../support/members.js';
import {
  compareClicks,
  describeDevices,
  expectInSync,
  hooks,
  quantile,
  recordClicks,
} from './audio-helpers.js';
import { expect, hostJam, joinJam, test } from './fixtures.js';

test.describe('synchronized audio', () => {
  test('every device plays the host click track at the same instant', async ({ person }) => {
    test.setTimeout(120_000);
    const hana = await person('Hana');
    // latencyHint 'playback': larger output buffers ride out this machine's OS stalls (docs/sync.md and
    // `npm run bench`: skew p95 0.3 ms with it against 2.6 ms with 'interactive' under load).
    const query = '?latency=playback';
    const code = await hostJam(hana, query);
    const listeners = [await person('Ana'), await person('Ben'), await person('Cy')];
    for (const l of listeners) await joinJam(l, code, query);
    const everyone = [hana, ...listeners];
    for (const p of everyone) expect(await hooks(p.page).startProbe()).toBe(true);

    await hana.page.getByTestId('source-test').click();
    await expect(hana.page.getByTestId('now-playing')).toContainText(/click track/i);
    for (const l of listeners) await expect(l.page.getByTestId('now-playing')).toContainText(/click track/i);
    // Every member reports being in sync (the host's member list shows each of the four so), each
    // at some point; the clicks below are the measurement.
    expect(await waitAllInSync(hana.page, 4, 30_000)).toBe(true);

    // Record 10 s of clicks (one every 500 ms) at every device's output.
    const clicks = await recordClicks(everyone.map((p) => p.page));
    console.log(`clicks per device in 10 s: ${clicks.map((c) => c.length).join(', ')}`);
    const { listenerSpread, toHost } = compareClicks(clicks, 500);
    const fmt = (xs: number[]) =>
      `median ${quantile(xs, 0.5).toFixed(2)} ms, p95 ${quantile(xs, 0.95).toFixed(2)} ms, max ${Math.max(...xs).toFixed(2)} ms`;
    console.log(
      `skew between listeners at the audio destination (${listenerSpread.length} clicks): ${fmt(listenerSpread)}`,
    );
    console.log(`listener vs host device (${toHost.length} clicks): ${fmt(toHost)}`);
    // Where a displaced device's offset comes from (seen in CI: one device 2-6.5 ms off).
    console.log(
      await describeDevices(
        everyone.map((p) => p.page),
        clicks,
        500,
      ),
    );
    // 20 clicks in 10 s. On an idle machine every device plays all of them. On a loaded 2-core CI
    // machine running four audio pages, the audio threads themselves stall now and then (measured
    // by `npm run bench`: outages of 100-500 ms every few tens of seconds), and the frames they hold
    // up are concealed; so most, not all, clicks must be heard.
    for (const c of clicks) expect(c.length).toBeGreaterThanOrEqual(14);
    expect(listenerSpread.length).toBeGreaterThanOrEqual(3);
    // Typical clicks line up to a millisecond or two; an OS stall now and then moves one device's
    // output for a moment (it re-aligns within a second), so most, not all, must be within 5 ms.
    expect(quantile(listenerSpread, 0.5)).toBeLessThan(2);
    expect(quantile(toHost, 0.5)).toBeLessThan(2);
    expect(listenerSpread.filter((s) => s < 5).length / listenerSpread.length).toBeGreaterThanOrEqual(0.8);
  });

  test('the host switches source (click track, microphone, shared tab, back) without anyone leaving', async ({
    person,
  }) => {
    test.setTimeout(120_000);
    const hana = await person('Hana');
    const code = await hostJam(hana);
    const ana = await person('Ana');
    await joinJam(ana, code);
    expect(await hooks(ana.page).startProbe()).toBe(true);

    const heardClicks = async () => {
      const from = await hooks(ana.page).now();
      await ana.page.waitForTimeout(2500);
      return (await hooks(ana.page).clicks()).filter((t) => t >= from).length;
    };

    await hana.page.getByTestId('source-test').click();
    await expect(ana.page.getByTestId('now-playing')).toContainText(/click track/i);
    await expectInSync(ana.page);
    expect(await heardClicks()).toBeGreaterThanOrEqual(3);

    await hana.page.getByTestId('source-mic').click();
    await expect(ana.page.getByTestId('now-playing')).toContainText(/live/i);
    await hana.page.getByTestId('source-tab').click();
    // Chromium's fake capture (--use-fake-ui-for-media-stream) shares a track labelled "Fake audio".
    await expect(hana.page.getByTestId('now-playing')).toHaveText('Fake audio');
    await expect(ana.page.getByTestId('now-playing')).toHaveText('Fake audio');
    await expect(hana.page.getByTestId('audio-error')).toHaveCount(0);

    await hana.page.getByTestId('source-test').click();
    await expect(ana.page.getByTestId('now-playing')).toContainText(/click track/i);
    expect(await heardClicks()).toBeGreaterThanOrEqual(3);
    await expectMembersOnline(ana.page, 2);
  });
});

async function expectMembersOnline(page: import('@playwright/test').Page, n: number): Promise<void> {
  await expect(page.locator('[data-testid=member][data-presence=online]')).toHaveCount(n);
}
