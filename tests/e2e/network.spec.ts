import type { Page } from '@playwright/test';
import { mintTurnCredential } from '../../src/server/turn.js';
import { turnUrl } from '../support/turn.js';
import { hooks } from './audio-helpers.js';
import { expect, hostJam, joinJam, test } from './fixtures.js';

// This project's server hands out credentials for a real coturn on loopback (playwright.config.ts).
const TURN_PORT = Number(process.env.E2E_TURN_PORT);
const TURN_SECRET = process.env.E2E_TURN_SECRET as string;

/** Clicks heard at this page's output during the next `ms`. */
async function clicksHeard(page: Page, ms: number): Promise<number> {
  const from = await hooks(page).now();
  await page.waitForTimeout(ms);
  return (await hooks(page).clicks()).filter((t) => t >= from).length;
}

/** Gathers ICE candidates in a page through the relay only, with this credential. */
async function gatherThroughRelay(
  page: Page,
  server: { urls: string[]; username: string; credential: string },
): Promise<{ relay: number; errors: number[] }> {
  return page.evaluate(async (iceServer) => {
    const pc = new RTCPeerConnection({ iceServers: [iceServer], iceTransportPolicy: 'relay' });
    const errors: number[] = [];
    let relay = 0;
    pc.onicecandidateerror = (e) => errors.push((e as RTCPeerConnectionIceErrorEvent).errorCode);
    const done = new Promise<void>((resolve) => {
      pc.onicecandidate = (e) => {
        if (e.candidate?.type === 'relay') relay++;
        if (!e.candidate) resolve();
      };
      setTimeout(resolve, 10_000);
    });
    pc.createDataChannel('probe');
    await pc.setLocalDescription(await pc.createOffer());
    await done;
    pc.close();
    return { relay, errors };
  }, server);
}

test.describe('through a real TURN relay (coturn)', () => {
  test('a listener who connects through the relay only hears the host, and keeps that setting', async ({
    person,
  }) => {
    test.setTimeout(120_000);
    const hana = await person('Hana');
    const code = await hostJam(hana);
    const ana = await person('Ana');
    await joinJam(ana, code);
    expect(await hooks(ana.page).startProbe()).toBe(true);
    await hana.page.getByTestId('source-test').click();
    await expect(ana.page.getByTestId('now-playing')).toContainText(/click track/i);

    // On loopback both ends reach each other directly first.
    await expect.poll(async () => (await hooks(ana.page).routes())[0]?.localType).toBe('host');

    // Ana turns on "relay only": the link restarts ICE and comes back through coturn.
    const relayOnly = ana.page.getByTestId('relay-only');
    await expect(relayOnly).toBeEnabled();
    await relayOnly.check();
    await expect
      .poll(async () => (await hooks(ana.page).routes())[0]?.localType, { timeout: 20_000 })
      .toBe('relay');
    // The host sees only the relay's address for her, never her own.
    const hostRoutes = await hooks(hana.page).routes();
    expect(hostRoutes.map((r) => r.remoteType)).toEqual(['relay']);
    expect(await clicksHeard(ana.page, 3000)).toBeGreaterThanOrEqual(4);

    // The setting is remembered on her device: after a reload she connects through the relay at once.
    await ana.page.reload();
    await expect(ana.page.getByTestId('room-code')).toHaveAttribute('data-code', code);
    await expect(ana.page.getByTestId('relay-only')).toBeChecked();
    await expect
      .poll(async () => (await hooks(ana.page).routes())[0]?.localType, { timeout: 20_000 })
      .toBe('relay');
    expect(await hooks(ana.page).startProbe()).toBe(true);
    await expect.poll(() => clicksHeard(ana.page, 2000), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
  });

  test('the relay accepts a credential the server minted and refuses an expired or forged one', async ({
    person,
  }) => {
    const p = await person('Probe');
    await p.page.goto('/');
    const urls = [turnUrl(TURN_PORT)];
    const now = Date.now();
    const valid = mintTurnCredential(TURN_SECRET, 'probe', 600, now);
    const expired = mintTurnCredential(TURN_SECRET, 'probe', -60, now);
    const forged = mintTurnCredential('not-the-server-secret', 'probe', 600, now);

    expect((await gatherThroughRelay(p.page, { urls, ...valid })).relay).toBeGreaterThan(0);
    for (const bad of [expired, forged]) {
      const result = await gatherThroughRelay(p.page, { urls, ...bad });
      expect(result.relay).toBe(0);
      // 401 Unauthorized: coturn checked the HMAC (or the expiry in the name) and said no.
      expect(result.errors).toContain(401);
    }
  });
});
