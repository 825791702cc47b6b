import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/app.js';
import type { Config } from '../../src/server/config.js';
import { hostRoom, joinRoom, TestClient } from '../support/client.js';
import { startTestServer } from '../support/server.js';

const servers: (RunningServer & { config: Config })[] = [];
const clients: TestClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(env: Record<string, string> = {}) {
  const s = await startTestServer({ HOST_GRACE_MS: '1500', LISTENER_GRACE_MS: '1000', ...env });
  servers.push(s);
  return s;
}

/** The same server again: same data folder, same port, as after `systemctl restart`. */
async function restart(s: RunningServer & { config: Config }) {
  await s.close();
  return start({ DATA_DIR: s.config.dataDir, HTTP_PORT: String(s.httpPort) });
}

async function resume(url: string, code: string, self: { peerId: string; token: string }) {
  const c = await TestClient.connect(url);
  clients.push(c);
  const joined = await c.request({ type: 'resume', requestId: 'r', code, ...self }, 'joined');
  return { client: c, joined };
}

describe('a server restart', () => {
  it('brings the rooms back: members resume their places with their tokens, chat included', async () => {
    const first = await start();
    const url = first.httpUrl as string;
    const { host, joined: hostJoined, code } = await hostRoom(url, 'Hana');
    const { client: ana, joined: anaJoined } = await joinRoom(url, code, 'Ana');
    clients.push(host, ana);
    host.send({ type: 'chat', text: 'before the restart' });
    await ana.next('chat');

    await restart(first);
    // Everyone was told the server is going away (1001) and reconnects on their own.
    await expect.poll(() => host.closeCode).toBe(1001);
    await expect.poll(() => ana.closeCode).toBe(1001);

    const back = await resume(url, code, hostJoined.self);
    expect(back.joined).toMatchObject({ resumed: true, self: { role: 'host' }, room: { code } });
    expect(back.joined.chat.map((m) => m.text)).toEqual(['before the restart']);
    expect(back.joined.members).toEqual([
      expect.objectContaining({ name: 'Hana', presence: 'online' }),
      expect.objectContaining({ name: 'Ana', presence: 'reconnecting' }),
    ]);
    const anaBack = await resume(url, code, anaJoined.self);
    expect(anaBack.joined.self.role).toBe('listener');
    expect((await back.client.next('member-updated')).member).toMatchObject({
      name: 'Ana',
      presence: 'online',
    });
    // The room works as before: chat flows and newcomers join by the same code.
    anaBack.client.send({ type: 'chat', text: 'after' });
    expect((await back.client.next('chat')).message.text).toBe('after');
    const { client: ben } = await joinRoom(url, code, 'Ben');
    clients.push(ben);
    expect((await back.client.next('member-joined')).member.name).toBe('Ben');
  });

  it('still refuses a forged token, and lets places lapse when nobody comes back', async () => {
    const first = await start();
    const url = first.httpUrl as string;
    const { host, joined, code } = await hostRoom(url, 'Hana');
    const { client: ana } = await joinRoom(url, code, 'Ana');
    clients.push(host, ana);
    const second = await restart(first);

    const forger = await TestClient.connect(url);
    clients.push(forger);
    forger.send({ type: 'resume', requestId: 'f', code, peerId: joined.self.peerId, token: 'x'.repeat(32) });
    expect((await forger.next('error')).code).toBe('invalid-token');

    // The host comes back; Ana does not, and her place goes after the listener grace period.
    const back = await resume(url, code, joined.self);
    const left = await back.client.next('member-left', 3000);
    expect(left.reason).toBe('timeout');
    expect(second.hub.roomCount).toBe(1);
  });

  it('closes a restored room whose host does not come back', async () => {
    const first = await start();
    const { host, code } = await hostRoom(first.httpUrl as string, 'Hana');
    clients.push(host);
    const second = await restart(first);
    expect(second.hub.roomCount).toBe(1);
    await new Promise((r) => setTimeout(r, 2000));
    expect(second.hub.roomCount).toBe(0);
    const c = await TestClient.connect(second.httpUrl as string);
    clients.push(c);
    c.send({ type: 'join-room', requestId: 'j', code, name: 'Ana' });
    expect((await c.next('error')).code).toBe('room-not-found');
  });

  it('keeps the saved rooms readable by the server user only, with token hashes and never a token', async () => {
    const first = await start();
    const { host, joined } = await hostRoom(first.httpUrl as string, 'Hana');
    clients.push(host);
    await first.close();
    const folder = path.join(first.config.dataDir, 'rooms');
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    const rooms = readdirSync(folder).filter((n) => n !== 'alive.json');
    expect(rooms).toHaveLength(1);
    const file = path.join(folder, rooms[0] as string);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(rooms[0]).not.toContain(joined.room.code);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(joined.room.code);
    expect(text).not.toContain(joined.self.token);
  });
});
