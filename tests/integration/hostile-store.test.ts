import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/protocol/index.js';
import { hostRoom, joinRoom, TestClient } from '../support/client.js';
import { freePort } from '../support/rawHttp.js';
import { ServerProcess } from '../support/serverProcess.js';

/**
 * Part of the hostile-input suite: the built server (`node dist/node/server/main.js`) holding 1,000
 * rooms, each with a full chat history of the longest lines (~30 MB of saved state), must keep
 * relaying signaling promptly while it saves them all. Run under the dist lock:
 * `flock /tmp/jamsesh-dist.lock npx vitest run tests/integration/hostile-store.test.ts`.
 */
const ROOMS = 1000;
/** Chat lines a fresh member may send at once (Room.ts); the rest of a history needs more members. */
const CHAT_BURST = 5;
/** Round trips are timed on pairs in turn, so each connection stays under its 30 messages/s. */
const PAIRS = 4;
const EVERY_MS = 10;
/**
 * A round trip this long is a stall. The old single-file store stringified all 30 MB every second,
 * so every second of a window had one; on a loaded 2-core machine other processes alone can cause
 * one now and then, so a window may have one stalled second, not more.
 */
const STALL_MS = 250;
const LINE = 'x'.repeat(LIMITS.chatMaxLength);

let server: ServerProcess;
let url: string;
const clients: TestClient[] = [];

/** Runs `fn` for 0..n-1, at most `width` at a time. */
async function inBatches<T>(n: number, width: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

/** One room's history filled: the host's burst, then guests who each join, say theirs and leave. */
async function fill(code: string, host: TestClient, guest: TestClient): Promise<void> {
  for (let n = 0; n < CHAT_BURST; n++) host.send({ type: 'chat', text: LINE });
  for (let g = 0; g < LIMITS.chatHistory / CHAT_BURST - 1; g++) {
    guest.send({ type: 'join-room', requestId: `j${g}`, code, name: `Guest ${g}` });
    await guest.next('joined', 30_000);
    // One connection's messages are handled in order: the lines are in before the guest leaves.
    for (let n = 0; n < CHAT_BURST; n++) guest.send({ type: 'chat', text: LINE });
    guest.send({ type: 'leave-room', requestId: `l${g}` });
    await guest.next('left', 30_000);
  }
}

interface Pair {
  host: TestClient;
  listener: TestClient;
  hostPeer: string;
  listenerPeer: string;
}

interface Trip {
  /** When it was sent (performance.now()), and how long until it came back. */
  at: number;
  ms: number;
}

/** Signal round trips (host -> listener -> host, both relayed by the server), one every 10 ms while timing. */
function roundTrips(pairs: Pair[]): { start(): { stop(): Trip[] } } {
  let sent = new Map<string, number>();
  let trips: Trip[] = [];
  for (const { host, listener, hostPeer } of pairs) {
    listener.ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (m.type === 'signal') listener.send({ type: 'signal', to: hostPeer, payload: m.payload });
    });
    host.ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      const at = m.type === 'signal' ? sent.get(m.payload.link) : undefined;
      if (at === undefined) return;
      sent.delete(m.payload.link);
      trips.push({ at, ms: performance.now() - at });
    });
  }
  let seq = 0;
  return {
    start() {
      sent = new Map();
      trips = [];
      const timer = setInterval(() => {
        const pair = pairs[seq % pairs.length] as Pair;
        const link = `t${seq++}`;
        sent.set(link, performance.now());
        pair.host.send({
          type: 'signal',
          to: pair.listenerPeer,
          payload: { kind: 'candidate', link, candidate: null },
        });
      }, EVERY_MS);
      return {
        stop() {
          clearInterval(timer);
          // A trip still on its way counts as long as it has been out.
          const now = performance.now();
          return [...trips, ...[...sent.values()].map((at) => ({ at, ms: now - at }))];
        },
      };
    },
  };
}

interface Stats {
  n: number;
  median: number;
  p99: number;
  max: number;
  /** One-second spans of the window in which some round trip took over STALL_MS. */
  stalledSeconds: number;
  seconds: number;
  /** When the longest trip was sent, in s from the window's start. */
  worstAt: number;
}

function stats(trips: Trip[]): Stats {
  const s = trips.map((t) => t.ms).sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
  const first = Math.min(...trips.map((t) => t.at));
  const second = (t: Trip) => Math.floor((t.at - first) / 1000);
  const stalled = new Set(trips.filter((t) => t.ms > STALL_MS).map(second));
  return {
    n: s.length,
    median: at(0.5),
    p99: at(0.99),
    max: s[s.length - 1] as number,
    stalledSeconds: stalled.size,
    seconds: Math.max(...trips.map(second)) + 1,
    worstAt: (trips.reduce((a, b) => (b.ms > a.ms ? b : a)).at - first) / 1000,
  };
}

const show = (s: Stats) =>
  `median ${s.median.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms at +${s.worstAt.toFixed(2)} s (${s.n} trips); ` +
  `a trip over ${STALL_MS} ms in ${s.stalledSeconds} of ${s.seconds} seconds`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  server = new ServerProcess(await freePort(), {
    LOG_LEVEL: 'error',
    MAX_ROOMS: String(ROOMS + PAIRS),
    MAX_CONNECTIONS: '5000',
    // Every client here is 127.0.0.1: the per-address quotas are raised for this one test.
    MAX_CONNECTIONS_PER_ADDRESS: '5000',
    MAX_ROOMS_PER_ADDRESS: String(ROOMS + PAIRS),
    CREATE_BURST: String(ROOMS + PAIRS),
    HOST_GRACE_MS: '600000',
    IDLE_SOCKET_MS: '600000',
  });
  await server.start();
  url = server.url;
}, 30_000);

afterAll(async () => {
  for (const c of clients.splice(0)) c.drop();
  await server?.stop();
});

describe('saving 1,000 rooms with full chat history', () => {
  it('keeps relaying signaling while it saves them all: no second of the save sees a stall', async () => {
    const pairs = await inBatches(PAIRS, PAIRS, async (i): Promise<Pair> => {
      const { host, joined, code } = await hostRoom(url, `Timer ${i}`);
      const { client: listener, joined: theirs } = await joinRoom(url, code, 'Echo');
      clients.push(host, listener);
      return { host, listener, hostPeer: joined.self.peerId, listenerPeer: theirs.self.peerId };
    });

    const started = performance.now();
    const rooms = await inBatches(ROOMS, 50, async (i) => {
      const { host, code } = await hostRoom(url, `Host ${i}`);
      const guest = await TestClient.connect(url);
      clients.push(host, guest);
      return { host, guest, code };
    });
    await inBatches(ROOMS, 250, (i) => {
      const r = rooms[i] as (typeof rooms)[number];
      return fill(r.code, r.host, r.guest);
    });
    // Every host has heard its room's whole history.
    await inBatches(ROOMS, ROOMS, async (i) => {
      const { host } = rooms[i] as (typeof rooms)[number];
      for (let n = 0; n < LIMITS.chatHistory; n++) await host.next('chat', 30_000);
    });
    const filledS = (performance.now() - started) / 1000;
    // What the fill changed is saved meanwhile, a save a second.
    await sleep(4000);

    const timer = roundTrips(pairs);
    let timing = timer.start();
    await sleep(5000);
    const idle = stats(timing.stop());

    // One more line in every room at once (each host's chat allowance has refilled by now): the
    // next save writes all 1,000 rooms, and the round trips are timed through it.
    const roomsDir = path.join(server.dataDir, 'rooms');
    const changedAt = Date.now();
    timing = timer.start();
    for (const [i, { host }] of rooms.entries()) {
      host.send({ type: 'chat', text: `one more ${LINE}`.slice(0, LIMITS.chatMaxLength) });
      // 50 lines a turn, so this process keeps the timer's beat.
      if (i % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    await sleep(5000);
    const saving = stats(timing.stop());
    const savedBy = Date.now();

    console.log(
      `store: ${ROOMS} rooms x ${LIMITS.chatHistory} lines of ${LIMITS.chatMaxLength} chars, filled in ${filledS.toFixed(1)} s\n` +
        `  signal round trip idle:   ${show(idle)}\n` +
        `  signal round trip saving: ${show(saving)}`,
    );

    // The save being timed happened inside the window: every filled room's file has its new line.
    const files = readdirSync(roomsDir).filter((n) => n.endsWith('.json') && n !== 'alive.json');
    expect(files).toHaveLength(ROOMS + PAIRS);
    const rewritten = files
      .map((n) => path.join(roomsDir, n))
      .filter((f) => JSON.parse(readFileSync(f, 'utf8')).room.chat.length > 0)
      .map((f) => {
        const { savedAt, room } = JSON.parse(readFileSync(f, 'utf8'));
        expect(room.chat).toHaveLength(LIMITS.chatHistory);
        expect(room.chat.at(-1).text).toMatch(/^one more /);
        return { savedAt, mtime: statSync(f).mtimeMs };
      });
    expect(rewritten).toHaveLength(ROOMS);
    const last = Math.max(...rewritten.map((r) => r.mtime));
    expect(Math.min(...rewritten.map((r) => r.savedAt))).toBeGreaterThanOrEqual(changedAt);
    expect(last).toBeLessThan(savedBy);
    console.log(
      `  all ${ROOMS} rooms rewritten ${((last - changedAt) / 1000).toFixed(2)} s after the change`,
    );

    expect(saving.n).toBeGreaterThan(300);
    expect(saving.stalledSeconds).toBeLessThanOrEqual(1);
    expect(server.exitCode).toBeNull();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  }, 180_000);
});
