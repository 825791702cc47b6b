import type { Page } from '@playwright/test';
import { UdpRelay } from '../../src/netem/UdpRelay.js';
import { type IceServer, turnUsernameExpiry } from '../../src/protocol/index.js';
import { routeThroughRelay } from '../support/impair.js';
import { ServerProcess } from '../support/serverProcess.js';
import { CoturnProcess, freeLoopbackPort, turnUrl } from '../support/turn.js';
import { expectInSync, hooks } from './audio-helpers.js';
import { expect, hostJam, joinJam, type Person, test } from './fixtures.js';

/**
 * TURN credentials that expire mid-jam. Each test runs its own coturn (its log names the username
 * of every allocation) and its own server minting credentials that live TTL seconds; the listener
 * reaches the host only through the relay, behind a UdpRelay whose rebind() is a NAT that forgot
 * her (a phone that changed networks): the host restarts ICE, and her new allocation needs a
 * credential that is still valid.
 */
const TTL = 6;

/** The TURN credentials a page was handed over its signaling socket, in order. */
interface Handed {
  at: number;
  via: 'joined' | 'ice-servers';
  username: string;
  /** Whether the page got it (false: the test held it back). */
  delivered: boolean;
}

/**
 * Sits between a page and the server's WebSocket: records the TURN credential in every `joined`
 * and `ice-servers`, and with `holdRefreshes` keeps `ice-servers` from the page (a server that
 * never refreshes). Returns what it saw, and the page's peer id once joined.
 */
async function watchCredentials(page: Page, holdRefreshes: boolean) {
  const handed: Handed[] = [];
  const self = { peerId: '' };
  await page.routeWebSocket('**/ws', (ws) => {
    const server = ws.connectToServer();
    server.onMessage((frame) => {
      let held = false;
      if (typeof frame === 'string') {
        const m = JSON.parse(frame) as {
          type: string;
          iceServers?: IceServer[];
          self?: { peerId: string };
        };
        if (m.type === 'joined' || m.type === 'ice-servers') {
          held = m.type === 'ice-servers' && holdRefreshes;
          const username = m.iceServers?.find((s) => s.username)?.username ?? '';
          handed.push({ at: Date.now(), via: m.type, username, delivered: !held });
          if (m.self) self.peerId = m.self.peerId;
        }
      }
      if (!held) ws.send(frame);
    });
  });
  return { handed, self };
}

const expiryMs = (username: string) => (turnUsernameExpiry(username) ?? Number.NaN) * 1000;

/** A host and a relay-only listener (Ana) on a server minting TTL-second credentials for `turn`. */
async function jamThroughRelay(
  person: (name: string) => Promise<Person>,
  turn: CoturnProcess,
  relay: UdpRelay,
  holdRefreshes: boolean,
) {
  const server = new ServerProcess(await freeLoopbackPort(), {
    TURN_URLS: turnUrl(turn.port),
    TURN_SECRET: turn.secret,
    TURN_TTL: String(TTL),
  });
  await server.start();
  const hana = await person('Hana');
  const code = await hostJam(hana, '', server.url);
  const ana = await person('Ana');
  // Her device is set to "connect through the server's relay only", and the relay is reached
  // through the UdpRelay (the page's RTCPeerConnection is told coturn is at the UdpRelay's port).
  await ana.page.addInitScript(() => localStorage.setItem('jamsesh.relayOnly', '1'));
  await routeThroughRelay(ana.page, turn.port, relay.port);
  const seen = await watchCredentials(ana.page, holdRefreshes);
  await joinJam(ana, code, '', server.url);
  await expect(ana.page.getByTestId('relay-only')).toBeChecked();
  for (const p of [hana, ana]) expect(await hooks(p.page).startProbe()).toBe(true);
  await hana.page.getByTestId('source-test').click();
  await expectInSync(ana.page, 60_000);
  await expect.poll(async () => (await hooks(ana.page).routes())[0]?.localType).toBe('relay');
  const first = seen.handed[0];
  expect(first?.via).toBe('joined');
  const firstExpiry = expiryMs(first?.username ?? '');
  // Her first allocation was made with the credential she joined with.
  expect(turn.allocations(seen.self.peerId)[0]?.user).toBe(first?.username);
  // Wait until the server has minted her a credential after the first one expired (held back or not).
  await expect
    .poll(
      () =>
        seen.handed.some((h) => h.via === 'ice-servers' && expiryMs(h.username) - TTL * 1000 >= firstExpiry),
      {
        timeout: 30_000,
        message: 'a credential minted after the first one expired',
      },
    )
    .toBe(true);
  expect(Date.now()).toBeGreaterThan(firstExpiry);
  return { server, hana, ana, seen, firstExpiry };
}

/** Host ICE restarts so far. */
const iceRestarts = async (hana: Person) =>
  (await hooks(hana.page).snapshot<{ host: { iceRestarts: number } | null }>()).host?.iceRestarts ?? 0;

/** The first time (local ms) from which Ana heard four clicks within 1.6 s, after `from`; null if none. */
async function clicksBackAt(ana: Person, from: number): Promise<number | null> {
  const clicks = (await hooks(ana.page).clicks()).filter((t) => t > from);
  for (let i = 0; i + 3 < clicks.length; i++) {
    if ((clicks[i + 3] as number) - (clicks[i] as number) < 1600) return clicks[i] as number;
  }
  return null;
}

test.describe('TURN credentials that expire mid-jam', () => {
  test('after the first credential expired, an ICE restart reaches the relay with a fresh one and the clicks come back', async ({
    person,
  }) => {
    test.setTimeout(180_000);
    const turn = await CoturnProcess.start({ minPort: 49420, maxPort: 49480 });
    const relay = await UdpRelay.start({ target: { host: '127.0.0.1', port: turn.port } });
    let server: ServerProcess | undefined;
    try {
      const jam = await jamThroughRelay(person, turn, relay, false);
      server = jam.server;
      const { hana, ana, seen, firstExpiry } = jam;
      const restartsBefore = await iceRestarts(hana);
      const t0 = Date.now();
      relay.rebind();

      let restartAt: number | null = null;
      let back: number | null = null;
      for (const start = Date.now(); back === null && Date.now() - start < 30_000; ) {
        await hana.page.waitForTimeout(250);
        if (restartAt === null && (await iceRestarts(hana)) > restartsBefore) restartAt = Date.now();
        back = await clicksBackAt(ana, t0 + 1000);
      }
      const anaRoute = (await hooks(ana.page).routes())[0];
      const hanaRoute = (await hooks(hana.page).routes())[0];
      // Allocations after the rebind, and the credential each carried.
      const fresh = turn.allocations(seen.self.peerId).filter((r) => r.at > t0);
      const used = fresh[0]?.user ?? '';
      const refreshes = seen.handed.filter((h) => h.via === 'ice-servers');
      console.log(
        [
          `credentials: first expired ${((t0 - firstExpiry) / 1000).toFixed(1)} s before the rebind; Ana got ${refreshes.length} refreshes`,
          `host restarted ICE ${restartAt === null ? 'never' : `${((restartAt - t0) / 1000).toFixed(1)} s after the rebind, ${((restartAt - firstExpiry) / 1000).toFixed(1)} s after the first expiry`}`,
          `clicks back ${back === null ? 'never' : `${((back - t0) / 1000).toFixed(1)} s after the rebind`}`,
          `new allocation with ${used} (minted ${((expiryMs(used) - TTL * 1000 - firstExpiry) / 1000).toFixed(1)} s after the first expired)`,
          `routes: Ana ${anaRoute?.localType}/${anaRoute?.remoteType}, Hana ${hanaRoute?.localType}/${hanaRoute?.remoteType}`,
        ].join('\n'),
      );
      expect(restartAt).not.toBeNull();
      expect(back).not.toBeNull();
      // 2 s of silence before the host restarts, then a new allocation and DTLS/SCTP on a fresh path:
      // the NAT E2E (network.spec.ts) is back in 3-5 s; 15 s leaves a loaded machine its margin.
      expect((back as number) - t0).toBeLessThan(15_000);
      // Through the relay: Ana's side of the pair is her new allocation, and the host sees only it.
      expect(anaRoute?.localType).toBe('relay');
      expect(hanaRoute?.remoteType).toBe('relay');
      // The relay granted it to a credential minted after the first one had expired.
      expect(fresh.length).toBeGreaterThanOrEqual(1);
      expect(used).not.toBe(seen.handed[0]?.username);
      expect(expiryMs(used) - TTL * 1000).toBeGreaterThanOrEqual(firstExpiry);
      expect(fresh[0]?.at).toBeGreaterThan(firstExpiry);
    } finally {
      await server?.stop();
      await relay.close();
      await turn.stop();
    }
  });

  test('without the refreshes (held back on the way), the same restart cannot reach the relay: coturn refuses the expired credential', async ({
    person,
  }) => {
    test.setTimeout(180_000);
    const turn = await CoturnProcess.start({ minPort: 49420, maxPort: 49480 });
    const relay = await UdpRelay.start({ target: { host: '127.0.0.1', port: turn.port } });
    let server: ServerProcess | undefined;
    try {
      const jam = await jamThroughRelay(person, turn, relay, true);
      server = jam.server;
      const { hana, ana, seen } = jam;
      expect(seen.handed.filter((h) => h.delivered).map((h) => h.via)).toEqual(['joined']);
      const restartsBefore = await iceRestarts(hana);
      const t0 = Date.now();
      relay.rebind();
      await hana.page.waitForTimeout(15_000);
      const tried = turn.requestsOf(seen.self.peerId).filter((r) => r.at > t0);
      const restarts = (await iceRestarts(hana)) - restartsBefore;
      const back = await clicksBackAt(ana, t0 + 1000);
      console.log(
        `without refreshes: ${restarts} host ICE restarts in 15 s; requests with her credential after the rebind: ${tried.length} (${tried.map((r) => r.error ?? 'success').join(', ')}); clicks back ${back === null ? 'never' : `${((back - t0) / 1000).toFixed(1)} s after the rebind`}`,
      );
      expect(restarts).toBeGreaterThanOrEqual(1);
      // She tried with the credential she joined with; coturn granted nothing and said 401 (between
      // them, 438 Stale Nonce: it hands out a new nonce first).
      expect(new Set(tried.map((r) => r.user))).toEqual(new Set([seen.handed[0]?.username]));
      expect(tried.filter((r) => r.ok)).toEqual([]);
      expect(tried.filter((r) => /^401/.test(r.error ?? '')).length).toBeGreaterThanOrEqual(1);
      expect(back).toBeNull();
    } finally {
      await server?.stop();
      await relay.close();
      await turn.stop();
    }
  });
});
