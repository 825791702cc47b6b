import { clickWav, compareClicks, describeDevices, hooks, quantile } from './audio-helpers.js';
import { expect, hostJam, joinJam, test } from './fixtures.js';

test.describe('playing local files', () => {
  test('the host queues a file; everyone sees its title and hears it in sync; pause stops it', async ({
    person,
  }) => {
    test.setTimeout(120_000);
    const hana = await person('Hana');
    const query = '?latency=playback'; // as in sync.spec.ts
    const code = await hostJam(hana, query);
    const ana = await person('Ana');
    await joinJam(ana, code, query);
    const ben = await person('Ben');
    await joinJam(ben, code, query);
    const everyone = [hana, ana, ben];
    for (const p of everyone) expect(await hooks(p.page).startProbe()).toBe(true);

    await hana.page.getByTestId('file-input').setInputFiles({
      name: 'Test Artist - Click Song.wav',
      mimeType: 'audio/wav',
      buffer: clickWav(40),
    });
    await expect(hana.page.getByTestId('queue-item')).toHaveCount(1);
    await expect(hana.page.getByTestId('queue-item')).toContainText('Click Song');
    await hana.page.getByTestId('file-play').click();

    for (const p of [ana, ben]) {
      await expect(p.page.getByTestId('now-playing')).toContainText('Click Song');
      await expect(p.page.getByTestId('now-playing')).toContainText('Test Artist');
      await expect(p.page.getByTestId('file-progress')).toContainText('/ 0:40');
    }
    await expect(hana.page.locator('[data-testid=member-sync][data-in-sync=true]')).toHaveCount(3, {
      timeout: 30_000,
    });
    await hana.page.waitForTimeout(3000);
    const from = await hooks(hana.page).now();
    await hana.page.waitForTimeout(6000);
    const clicks = await Promise.all(
      everyone.map(async (p) => (await hooks(p.page).clicks()).filter((t) => t >= from && t < from + 6000)),
    );
    console.log(`file clicks per device in 6 s: ${clicks.map((c) => c.length).join(', ')}`);
    const { listenerSpread } = compareClicks(clicks, 500);
    console.log(`file: skew between listeners, median ${quantile(listenerSpread, 0.5).toFixed(2)} ms`);
    console.log(
      await describeDevices(
        everyone.map((p) => p.page),
        clicks,
        500,
      ),
    );
    // 12 clicks in 6 s on every device, the host's included; a loaded CI machine conceals some
    // (see sync.spec.ts).
    for (const c of clicks) expect(c.length).toBeGreaterThanOrEqual(8);
    expect(quantile(listenerSpread, 0.5)).toBeLessThan(2);

    // Pause: everyone is told, and the clicks stop.
    await hana.page.getByTestId('file-play').click();
    await expect(ana.page.getByTestId('file-progress')).toContainText('paused');
    await ana.page.waitForTimeout(1500);
    const quietFrom = await hooks(ana.page).now();
    await ana.page.waitForTimeout(2000);
    expect((await hooks(ana.page).clicks()).filter((t) => t >= quietFrom).length).toBe(0);
  });
});
