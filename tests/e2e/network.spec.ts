import type { Page } from '@playwright/test';
import type { ImpairmentConfig } from '../../src/netem/Impairment.js';
import { UdpRelay } from '../../src/netem/UdpRelay.js';
import { mintTurnCredential } from '../../src/server/turn.js';
import { routeThroughRelay } from '../support/impair.js';
import { turnUrl } from '../support/turn.js';
import { compareClicks, expectInSync, hooks, quantile } from './audio-helpers.js';
import { expect, hostJam, joinJam, type Person, test } from './fixtures.js';

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

interface PlayoutStats {
  concealEvents: number;
  underrunMs: number;
  playing: boolean;
}
const playout = async (p: Person) =>
  (await hooks(p.page).snapshot<{ playout: PlayoutStats | null }>()).playout as PlayoutStats;
const recovery = async (p: Person) =>
  (await hooks(p.page).snapshot<{ listener: { recovery?: Record<string, number> } | null }>()).listener
    ?.recovery;

/**
 * Host + a clean listener + one behind the impairment, in Party mode, with the click track: returns
 * the clicks of all three over `ms` (after settling) and the impaired listener's concealment then.
 */
async function impairedJam(
  person: (name: string) => Promise<Person>,
  path: ImpairmentConfig,
  ms: number,
): Promise<{
  clicks: number[][];
  /** When the measured window began (local ms). */
  from: number;
  concealed: number;
  underrunMs: number;
  relay: UdpRelay;
  ana: Person;
  hana: Person;
}> {
  const relay = await UdpRelay.start({
    target: { host: '127.0.0.1', port: TURN_PORT },
    up: path,
    down: path,
  });
  const hana = await person('Hana');
  const code = await hostJam(hana);
  await hana.page.getByTestId('mode-party').click();
  const ana = await person('Ana');
  await routeThroughRelay(ana.page, TURN_PORT, relay.port);
  await joinJam(ana, code);
  const ben = await person('Ben');
  await joinJam(ben, code);
  const everyone = [hana, ana, ben];
  for (const p of everyone) expect(await hooks(p.page).startProbe()).toBe(true);
  await hana.page.getByTestId('source-test').click();
  // Everyone plays. (Not "all three in sync at once": on these paths the room delay still rises a
  // few times in the first minute, and each rise re-syncs every device, so that state flickers.)
  for (const p of everyone) {
    await expect
      .poll(async () => (await playout(p))?.playing, { timeout: 60_000, message: `${p.name} plays` })
      .toBe(true);
  }
  // Ana's path really is the impaired relay.
  expect((await hooks(ana.page).routes())[0]?.localType).toBe('relay');

  // "After settling": Party's delay follows the 99.9th percentile of every member's frame age, and
  // on this 2-core machine the clean members' own stalls (frames 250-800 ms old now and then, seen
  // here on the clean listener too) lift it a few times in the first minute; each rise pauses every
  // device. So a window counts only if the room delay held still through it (3 tries).
  const delay = async () =>
    (await hooks(hana.page).snapshot<{ state: { session: { delayMs: number } | null } }>()).state.session
      ?.delayMs;
  for (let attempt = 1; ; attempt++) {
    await waitForSteadyDelay(hana.page, delay);
    const d0 = await delay();
    const before = await playout(ana);
    const from = await hooks(hana.page).now();
    await hana.page.waitForTimeout(ms);
    const after = await playout(ana);
    const d1 = await delay();
    if (d1 !== d0 && attempt < 3) {
      console.log(`room delay moved during the window (${d0} -> ${d1} ms): measuring again`);
      continue;
    }
    console.log(`room delay through the window: ${d0} -> ${d1} ms (attempt ${attempt})`);
    const clicks = await Promise.all(
      everyone.map(async (p) => (await hooks(p.page).clicks()).filter((t) => t >= from && t < from + ms)),
    );
    return {
      clicks,
      from,
      concealed: after.concealEvents - before.concealEvents,
      underrunMs: after.underrunMs - before.underrunMs,
      relay,
      ana,
      hana,
    };
  }
}

/** Waits (up to 45 s) until the room delay has not changed for 6 s. */
async function waitForSteadyDelay(page: Page, delay: () => Promise<number | undefined>): Promise<void> {
  let last = await delay();
  let stableSince = Date.now();
  for (const start = Date.now(); Date.now() - start < 45_000 && Date.now() - stableSince < 6000; ) {
    await page.waitForTimeout(1000);
    const d = await delay();
    if (d !== last) {
      last = d;
      stableSince = Date.now();
    }
  }
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

test.describe('on a bad network (impairment relay in front of coturn)', () => {
  test('Party mode: a listener behind 2% loss and 30 ms jitter plays every click, in step with a clean one', async ({
    person,
  }) => {
    test.setTimeout(300_000);
    const { clicks, concealed, underrunMs, relay, ana } = await impairedJam(
      person,
      // 30 +- 30 ms each way, moving as a queue's delay does (src/netem/Impairment.ts).
      { delayMs: 30, jitterMs: 30, loss: 0.02 },
      15_000,
    );
    try {
      const { up, down } = relay.counters;
      console.log(
        `relay: up ${up.packets} packets, ${up.lost} lost; down ${down.packets} packets, ${down.lost} lost`,
      );
      console.log(`Ana's recovery: ${JSON.stringify(await recovery(ana))}`);
      console.log(`clicks in 15 s (host, impaired, clean): ${clicks.map((c) => c.length).join(', ')}`);
      console.log(`impaired listener after settling: ${concealed} concealments, ${underrunMs.toFixed(0)} ms`);
      const [host, impaired, clean] = clicks as [number[], number[], number[]];
      const { listenerSpread } = compareClicks([host, impaired, clean], 500);
      console.log(
        `impaired vs clean listener: median ${quantile(listenerSpread, 0.5).toFixed(2)} ms, max ${Math.max(...listenerSpread).toFixed(2)} ms`,
      );
      // Loss was real, and it was repaired: the clicks (30 in 15 s) are heard behind the bad path.
      expect(down.lost).toBeGreaterThan(0);
      // (At most 2 of 30 missed: the host device and the clean listener miss one now and then too,
      // when this 2-core machine stalls; the impaired listener's own playout concealed nothing.)
      expect(impaired.length).toBeGreaterThanOrEqual(28);
      expect(concealed).toBe(0);
      // The impaired listener knows the host clock only through 0-60 ms of jitter each way: its
      // bound is half the lowest round trip (~25 ms here), and which samples come lowest decides the
      // error. Measured in this test: medians of 0.4-3.5 ms (clean vs clean: < 1 ms); 8 ms (under
      // 3 m of sound) holds that with room for a loaded CI machine.
      expect(quantile(listenerSpread, 0.5)).toBeLessThan(8);
    } finally {
      await relay.close();
    }
  });

  test('a listener behind a 220 kbit/s cap is moved down the bitrate ladder and plays every click, in step with a clean one', async ({
    person,
  }) => {
    test.setTimeout(300_000);
    // On the wire 160 kbit/s Opus in 10 ms frames is ~250 kbit/s (headers: ours, SCTP, DTLS, UDP,
    // TURN), 96 kbit/s is ~185: the cap carries the lower rungs only.
    const { clicks, concealed, relay, ana, hana } = await impairedJam(
      person,
      { rateKbps: 220, queueMs: 200 },
      10_000,
    );
    try {
      const hostLinks = async () =>
        (
          await hooks(hana.page).snapshot<{
            host: {
              linkDrops: number[];
              linkRates: { kbps: number; downs: number; ups: number; failedProbes: number }[];
            } | null;
          }>()
        ).host;
      const host = await hostLinks();
      const [capped, clean] = host?.linkRates ?? [];
      console.log(
        `bitrate ladder (capped, clean): ${host?.linkRates.map((r) => `${r.kbps} kbps after ${r.downs} down and ${r.ups} up (${r.failedProbes} probes failed)`).join('; ')}; frames dropped for a backed-up channel ${host?.linkDrops.join('/')}; relay queue drops ${relay.counters.down.queueDrops}`,
      );
      console.log(`clicks in 10 s (host, capped, clean): ${clicks.map((c) => c.length).join(', ')}`);
      // The host moved the capped listener down to a rung the path carries, and no one else.
      expect(capped?.downs).toBeGreaterThanOrEqual(1);
      expect(clean?.kbps).toBeGreaterThanOrEqual(160);
      // Every 8-64 s it probes the rung above (160 here), which the cap calls off within a few
      // seconds; a snapshot may fall inside one (CI: twice), so the rung is read until it ends.
      await expect
        .poll(async () => (await hostLinks())?.linkRates[0]?.kbps, {
          timeout: 20_000,
          message: 'the capped listener is back on a rung the path carries',
        })
        .toBeLessThanOrEqual(96);
      // Its member entry says so, on its own screen too (from the host's sync table).
      await expect(
        ana.page.locator('[data-testid=member][data-self=true] [data-testid=member-sync]'),
      ).toContainText(/ (32|64|96) kbps/, { timeout: 5000 });
      const [hostClicks, cappedClicks, cleanClicks] = clicks as [number[], number[], number[]];
      console.log(`capped listener in the window: ${concealed} concealments`);
      expect(cappedClicks.length).toBeGreaterThanOrEqual(cleanClicks.length - 1);
      const { listenerSpread } = compareClicks([hostClicks, cappedClicks, cleanClicks], 500);
      console.log(
        `capped vs clean listener: median ${quantile(listenerSpread, 0.5).toFixed(2)} ms, max ${Math.max(...listenerSpread).toFixed(2)} ms`,
      );
      // Its clock is learned through the capped queue (up to 200 ms, filling and draining): medians
      // of 0.8-2.1 ms here (clean vs clean: < 1 ms); 5 ms holds that on a loaded machine.
      expect(quantile(listenerSpread, 0.5)).toBeLessThan(5);
    } finally {
      await relay.close();
    }
  });

  test('10% loss: the sound degrades gracefully and never stops', async ({ person }) => {
    test.setTimeout(300_000);
    const { clicks, from, relay, ana, hana } = await impairedJam(
      person,
      { delayMs: 10, jitterMs: 5, loss: 0.1 },
      10_000,
    );
    try {
      console.log(`Ana's recovery at 10% loss: ${JSON.stringify(await recovery(ana))}`);
      const host = (
        await hooks(hana.page).snapshot<{
          host: {
            resent: number;
            resendsRefused: number;
            linkDrops: number[];
            linkRates: { kbps: number; downs: number; ups: number; failedProbes: number }[];
          } | null;
        }>()
      ).host;
      console.log(
        `host: resent ${host?.resent}, resends refused ${host?.resendsRefused}, frames dropped for a backed-up channel ${host?.linkDrops.join('/')}`,
      );
      console.log(
        `bitrate ladder (impaired, clean): ${host?.linkRates.map((r) => `${r.kbps} kbps after ${r.downs} down and ${r.ups} up (${r.failedProbes} probes failed)`).join('; ')}`,
      );
      console.log(`clicks in 10 s (host, impaired, clean): ${clicks.map((c) => c.length).join(', ')}`);
      expect(relay.counters.down.lost).toBeGreaterThan(20);
      // Playback goes on: the issue's own bar, it degrades (conceals), it never stops. Most runs the
      // impaired listener hears every click (resends recover ~97 % of the losses). In about one run
      // in three here, the data channel's SCTP congestion control settles below the stream's rate
      // on this path; before the bitrate ladder the host then dropped 900-2500 frames for the
      // backed-up channel and the sound stopped for 1.5-3 s at a time. Now the host moves that
      // listener down the ladder within a second, and nothing is dropped.
      const heard = clicks[1] as number[];
      const edges = [from, ...heard, from + 10_000];
      const longestSilence = Math.max(...edges.slice(1).map((t, i) => t - (edges[i] as number)));
      console.log(`longest silence of the impaired listener: ${longestSilence.toFixed(0)} ms`);
      expect(heard.length).toBeGreaterThanOrEqual(12);
      expect(longestSilence).toBeLessThan(2000);
    } finally {
      await relay.close();
    }
  });
});

test.describe("when a listener's network changes", () => {
  test('its NAT forgets it mid-song: the host restarts ICE and it is back in step within seconds', async ({
    person,
  }) => {
    test.setTimeout(180_000);
    // A clean relay in front of coturn: Ana's only way to the host. Its rebind() is a NAT that
    // restarted, or a phone that moved to another network: Ana's packets leave from a new port, and
    // coturn no longer knows them, so her relayed path is dead for good.
    const relay = await UdpRelay.start({ target: { host: '127.0.0.1', port: TURN_PORT } });
    try {
      const hana = await person('Hana');
      const code = await hostJam(hana);
      const ana = await person('Ana');
      await routeThroughRelay(ana.page, TURN_PORT, relay.port);
      await joinJam(ana, code);
      const ben = await person('Ben');
      await joinJam(ben, code);
      for (const p of [hana, ana, ben]) expect(await hooks(p.page).startProbe()).toBe(true);
      await hana.page.getByTestId('source-test').click();
      await expectInSync(ana.page, 60_000);
      await expectInSync(ben.page, 60_000);

      const t0 = await hooks(hana.page).now();
      relay.rebind();
      // Back in step: four clicks in a row that Ana hears within 3 ms of Ben, after what she held
      // when the path died has played (Live: D <= 250 ms).
      let back: number | null = null;
      for (let waited = 0; back === null && waited < 30_000; waited += 500) {
        await hana.page.waitForTimeout(500);
        const [a, b] = await Promise.all(
          [ana, ben].map(async (p) => (await hooks(p.page).clicks()).filter((t) => t > t0 + 1000)),
        );
        const inStep = (a ?? []).filter((t) => (b ?? []).some((x) => Math.abs(x - t) < 3));
        for (let i = 0; i + 3 < inStep.length; i++) {
          if ((inStep[i + 3] as number) - (inStep[i] as number) < 1600) {
            back = (inStep[i] as number) - t0;
            break;
          }
        }
      }
      const host = (
        await hooks(hana.page).snapshot<{
          host: { iceRestarts: number; linkRates: { kbps: number; downs: number }[] } | null;
        }>()
      ).host;
      console.log(
        `after the rebind: Ana back in step in ${back === null ? 'never' : `${(back / 1000).toFixed(1)} s`}; host ICE restarts ${host?.iceRestarts}; Ana's bitrate ${host?.linkRates[0]?.kbps} kbps (${host?.linkRates[0]?.downs} steps down)`,
      );
      expect(back).not.toBeNull();
      // The host hears nothing from Ana for 2 s (her clock probes come every 500 ms) and restarts
      // ICE; her new candidates are through a new TURN allocation. Measured over 10 runs: 2.9-4.6 s,
      // once 9.4 s (Chromium alone calls the path disconnected only after 6-7 s, and before these
      // changes she was back after 11-18 s). 15 s leaves a loaded CI machine its margin.
      expect(back as number).toBeLessThan(15_000);
      expect(host?.iceRestarts).toBeGreaterThanOrEqual(1);
      expect((await hooks(ana.page).routes())[0]?.localType).toBe('relay');
    } finally {
      await relay.close();
    }
  });
});
