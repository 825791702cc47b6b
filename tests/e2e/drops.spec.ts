import { ServerProcess } from '../support/serverProcess.js';
import { compareClicks, expectInSync, hooks, quantile } from './audio-helpers.js';
import { expect, hostJam, joinJam, type Person, test } from './fixtures.js';

const query = '?latency=playback'; // as in sync.spec.ts

/** Clicks each device heard in the `ms` from now (local clock, shared by every page). */
async function clicksOver(people: Person[], ms: number): Promise<number[][]> {
  const from = await hooks((people[0] as Person).page).now();
  await (people[0] as Person).page.waitForTimeout(ms);
  return Promise.all(
    people.map(async (p) => (await hooks(p.page).clicks()).filter((t) => t >= from && t < from + ms)),
  );
}

const inSync = (person: Person, timeout?: number) => expectInSync(person.page, timeout);

/** Sets what `document.visibilityState` says and fires visibilitychange, as a phone's lock does. */
async function setVisibility(page: Person['page'], state: 'hidden' | 'visible'): Promise<void> {
  await page.evaluate((s) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);
}

async function startClickTrack(host: Person, listeners: Person[]): Promise<void> {
  await host.page.getByTestId('source-test').click();
  for (const l of listeners) await expect(l.page.getByTestId('now-playing')).toContainText(/click track/i);
}

type MakePerson = (name: string) => Promise<Person>;

/** Hana hosts the click track; Ana (whom each test drops) and Ben (the reference) listen, in sync. */
async function jamOfThree(person: MakePerson) {
  const hana = await person('Hana');
  const code = await hostJam(hana, query);
  const ana = await person('Ana');
  const ben = await person('Ben');
  await joinJam(ana, code, query);
  await joinJam(ben, code, query);
  for (const p of [ana, ben]) expect(await hooks(p.page).startProbe()).toBe(true);
  await startClickTrack(hana, [ana, ben]);
  for (const p of [ana, ben]) await inSync(p);
  return { hana, ana, ben, code };
}

/**
 * Over 5 s, `who` hears the clicks `reference` hears (one fewer at most), within a median 3 ms of
 * it. The reference's own count shows what the machine let through: a loaded 2-core CI machine
 * stalls every page's audio now and then (sync.spec.ts), and that is not the drop under test.
 */
async function expectInStep(who: Person, reference: Person, label: string): Promise<void> {
  const clicks = await clicksOver([reference, who], 5000);
  const { listenerSpread } = compareClicks([[], ...clicks], 500);
  console.log(
    `${label}clicks ${clicks.map((c) => c.length).join(', ')}; skew to ${reference.name} median ${quantile(listenerSpread, 0.5).toFixed(2)} ms`,
  );
  const [heard, reached] = [(clicks[1] as number[]).length, (clicks[0] as number[]).length];
  expect(reached).toBeGreaterThanOrEqual(4);
  expect(heard).toBeGreaterThanOrEqual(reached - 1);
  expect(quantile(listenerSpread, 0.5)).toBeLessThan(3);
}

test.describe('surviving drops', () => {
  test('a listener who reloads rejoins on her own and is back in sync within seconds', async ({ person }) => {
    test.setTimeout(120_000);
    const { hana, ana, ben, code } = await jamOfThree(person);

    const reloadedAt = Date.now();
    await ana.page.reload();
    await expect(ana.page.getByTestId('room-code')).toHaveAttribute('data-code', code);
    expect(await hooks(ana.page).startProbe()).toBe(true);
    await inSync(ana, 15_000);
    const syncedMs = Date.now() - reloadedAt;
    const restarts = (await hooks(hana.page).snapshot<{ host: { iceRestarts: number } | null }>()).host
      ?.iceRestarts;
    console.log(`reload to in sync: ${syncedMs} ms; host ICE restarts ${restarts}`);
    // "Within a few seconds": the page load, the rejoin, a new link, clock sync and the first frames.
    expect(syncedMs).toBeLessThan(10_000);

    await ana.page.waitForTimeout(2000);
    await expectInStep(ana, ben, `after the reload: `);
    await expect(hana.page.getByTestId('member')).toHaveCount(3);
  });

  test('the host reloads: the room is hers again, and listeners play her music without doing anything', async ({
    person,
  }) => {
    test.setTimeout(120_000);
    const hana = await person('Hana');
    const code = await hostJam(hana, query);
    const ana = await person('Ana');
    await joinJam(ana, code, query);
    expect(await hooks(ana.page).startProbe()).toBe(true);
    await startClickTrack(hana, [ana]);
    await inSync(ana);

    await hana.page.reload();
    await expect(hana.page.getByTestId('room-code')).toHaveAttribute('data-code', code);
    await expect(hana.page.getByTestId('close-room-button')).toBeVisible();
    // A reloaded page has lost its source (a shared tab or a file needs the person again): she picks it.
    await hana.page.getByTestId('source-test').click();
    await expect(ana.page.getByTestId('now-playing')).toContainText(/click track/i);
    await inSync(ana, 15_000);
    const [heard] = await clicksOver([ana], 4000);
    console.log(`after the host's reload, Ana heard ${heard?.length} clicks in 4 s`);
    // The music flows (8 clicks in 4 s; a loaded machine loses some, see expectInStep).
    expect(heard?.length).toBeGreaterThanOrEqual(4);
  });

  test('a listener whose page was frozen (as Chromium freezes a background tab) stays in step when it thaws', async ({
    person,
  }) => {
    test.setTimeout(120_000);
    const { ana, ben } = await jamOfThree(person);

    // Chromium freezes a background page this way to save power: none of the page's tasks run. Here
    // the media worker and the audio thread keep going (measured: no late frame), so this checks that
    // the page's own timers and UI pick up again; a device that sleeps is the next test.
    type Playout = { playout: { underrunMs: number; hardResyncs: number; framesLate: number } | null };
    const before = (await hooks(ana.page).snapshot<Playout>()).playout;
    const cdp = await ana.page.context().newCDPSession(ana.page);
    await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
    await ben.page.waitForTimeout(6000);
    const wokeAt = Date.now();
    await cdp.send('Page.setWebLifecycleState', { state: 'active' });
    const woken = (await hooks(ana.page).snapshot<Playout>()).playout;
    // What the freeze did: the page's tasks stopped, so frames waited (late, concealed) and the
    // schedule had to jump back into place.
    console.log(
      `frozen 6 s: underrun ${((woken?.underrunMs ?? 0) - (before?.underrunMs ?? 0)).toFixed(0)} ms, late frames ${(woken?.framesLate ?? 0) - (before?.framesLate ?? 0)}, resyncs ${(woken?.hardResyncs ?? 0) - (before?.hardResyncs ?? 0)}`,
    );
    await inSync(ana, 15_000);
    console.log(`woken to in sync: ${Date.now() - wokeAt} ms`);
    await ana.page.waitForTimeout(2000);
    await expectInStep(ana, ben, `after waking: `);
  });

  test('a listener whose device slept (its audio output suspended) plays in sync again when it wakes', async ({
    person,
  }) => {
    test.setTimeout(120_000);
    const { ana, ben } = await jamOfThree(person);

    // A phone locks: its page is hidden (emulated: headless Chromium never hides a page) and its
    // audio output suspended.
    await setVisibility(ana.page, 'hidden');
    await hooks(ana.page).suspendOutput();
    await ben.page.waitForTimeout(4000);
    // The page comes back into view: the app resumes the output by itself, and says so.
    const wokeAt = Date.now();
    await setVisibility(ana.page, 'visible');
    await expect(ana.page.getByTestId('back-in-step')).toContainText(/catching up/i);
    await inSync(ana, 15_000);
    const syncedMs = Date.now() - wokeAt;
    const back = ana.page.getByTestId('back-in-step');
    await expect(back).toHaveAttribute('data-in-step', 'true');
    console.log(`the page says: ${await back.textContent({ timeout: 1000 }).catch(() => '(gone already)')}`);
    await ana.page.waitForTimeout(1000);
    await expectInStep(ana, ben, `woke after 4 s asleep; in sync ${syncedMs} ms later; then `);
  });

  test('the server restarts mid-session: the music plays on, everyone reconnects, the room comes back', async ({
    person,
  }) => {
    test.setTimeout(120_000);
    const server = new ServerProcess(Number(process.env.E2E_RESTART_PORT));
    await server.start();
    try {
      const hana = await person('Hana');
      const code = await hostJam(hana, query, server.url);
      const ana = await person('Ana');
      await joinJam(ana, code, query, server.url);
      expect(await hooks(ana.page).startProbe()).toBe(true);
      await startClickTrack(hana, [ana]);
      await inSync(ana);

      await server.stop();
      await expect(ana.page.getByTestId('status')).toContainText(/connection lost/i);
      // The audio goes host -> listener directly: it does not need the server while it is away.
      const [during] = await clicksOver([ana], 4000);
      console.log(`while the server was down, Ana heard ${during?.length} clicks in 4 s`);
      expect(during?.length).toBeGreaterThanOrEqual(4);

      await server.start();
      for (const p of [hana, ana]) {
        await expect(p.page.getByTestId('status')).toHaveCount(0, { timeout: 20_000 });
        await expect(p.page.locator('[data-testid=member][data-presence=online]')).toHaveCount(2);
      }
      // The room is there for newcomers, by the same code, and they hear the host.
      const ben = await person('Ben');
      await joinJam(ben, code, query, server.url);
      expect(await hooks(ben.page).startProbe()).toBe(true);
      await inSync(ben);
      const [after, benHeard] = await clicksOver([ana, ben], 4000);
      console.log(`after the restart: Ana ${after?.length}, Ben ${benHeard?.length} clicks in 4 s`);
      expect(after?.length).toBeGreaterThanOrEqual(4);
      expect(benHeard?.length).toBeGreaterThanOrEqual(4);
    } finally {
      await server.stop();
    }
  });
});
