import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lanAddresses } from '../../src/server/lan.js';
import { TestClient } from '../support/client.js';

interface Started {
  child: ChildProcess;
  http: string;
  https: string;
  output: () => string;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** Runs the server as `npm start` would (from source via tsx), on free loopback ports. */
async function startProcess(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
    env: { ...process.env, HOST: '127.0.0.1', HTTP_PORT: '0', HTTPS_PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const line = /JAMSESH_LISTENING (.*)/.exec(out);
    if (line?.[1]) {
      const urls = JSON.parse(line[1]) as { http: string; https: string };
      return { child, http: urls.http, https: urls.https, output: () => out };
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function httpsGet(url: string): Promise<{ status: number; body: string; cert: string }> {
  return new Promise((resolve, reject) => {
    get(url, { rejectUnauthorized: false }, (res) => {
      let body = '';
      const cert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cert }));
    }).on('error', reject);
  });
}

describe('the server process', () => {
  it('serves HTTPS with a self-signed certificate it makes once and keeps in its data folder', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'jamsesh-data-'));
    const first = await startProcess({ DATA_DIR: dataDir });
    const a = await httpsGet(`${first.https}/healthz`);
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body).ok).toBe(true);
    const pem = readFileSync(path.join(dataDir, 'tls', 'cert.pem'), 'utf8');
    expect(new X509Certificate(pem).subjectAltName).toContain('IP Address:127.0.0.1');
    first.child.kill('SIGTERM');
    await new Promise((r) => first.child.once('exit', r));

    const second = await startProcess({ DATA_DIR: dataDir });
    const b = await httpsGet(`${second.https}/healthz`);
    expect(b.cert).toBe(a.cert);
    expect(readFileSync(path.join(dataDir, 'tls', 'cert.pem'), 'utf8')).toBe(pem);
  });

  it('prints where to open the app and a QR code of its public URL for phones', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'jamsesh-data-'));
    const s = await startProcess({ DATA_DIR: dataDir, PUBLIC_URL: 'https://jam.example.org/' });
    expect(s.output()).toContain(`On this computer:   ${s.http}`);
    expect(s.output()).toContain(`On this computer:   ${s.https}`);
    expect(s.output()).toContain('Scan to open https://jam.example.org/ on a phone:');
    expect(s.output()).toMatch(/[█▀▄]{10,}/);
    // Listening on loopback only, it names no address a phone could not reach.
    expect(s.output()).not.toContain('On your network');
  });

  it("listening on every interface, lists this machine's LAN addresses and puts the first in the QR code", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'jamsesh-data-'));
    const s = await startProcess({ DATA_DIR: dataDir, HOST: '0.0.0.0' });
    const port = new URL(s.https).port;
    const lan = lanAddresses().map((ip) => `https://${ip}:${port}`);
    const listed = [...s.output().matchAll(/On your network: +(\S+)/g)].map((m) => m[1]);
    expect(listed).toEqual(lan);
    // A machine with no LAN address (a container on loopback alone) has nothing to put in a QR code.
    const qr = lan[0] === undefined ? null : `Scan to open ${lan[0]} on a phone:`;
    expect(s.output().match(/Scan to open \S+ on a phone:/)?.[0] ?? null).toBe(qr);
    expect(/[█▀▄]{10,}/.test(s.output())).toBe(qr !== null);
  });

  it('shuts down gracefully on SIGTERM: clients are told it is going away and it exits 0', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'jamsesh-data-'));
    const s = await startProcess({ DATA_DIR: dataDir, HTTPS_PORT: 'off' });
    const client = await TestClient.connect(s.http);
    await client.request({ type: 'create-room', name: 'Hana' }, 'joined');
    const exited = new Promise<number | null>((r) => s.child.once('exit', (code) => r(code)));
    s.child.kill('SIGTERM');
    await expect(client.next('pong', 5000)).rejects.toThrow(/closed \(1001\)/);
    expect(await exited).toBe(0);
  });

  it('hands each client its own short-lived TURN credential, never the shared secret', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'jamsesh-data-'));
    const secret = 'test-secret-not-for-clients-0123456789';
    const s = await startProcess({
      DATA_DIR: dataDir,
      HTTPS_PORT: 'off',
      STUN_URLS: 'stun:127.0.0.1:3478',
      TURN_URLS: 'turn:127.0.0.1:3478?transport=udp',
      TURN_SECRET: secret,
      TURN_TTL: '600',
    });
    const client = await TestClient.connect(s.http);
    const joined = await client.request({ type: 'create-room', name: 'Hana' }, 'joined');
    expect(JSON.stringify(joined)).not.toContain(secret);
    const turn = joined.iceServers.find((i) => i.urls.some((u) => u.startsWith('turn:')));
    expect(joined.iceServers[0]?.urls).toEqual(['stun:127.0.0.1:3478']);
    const [expiry, id] = (turn?.username ?? '').split(':');
    expect(id).toBe(joined.self.peerId);
    expect(Number(expiry) - Date.now() / 1000).toBeGreaterThan(590);
    expect(Number(expiry) - Date.now() / 1000).toBeLessThanOrEqual(601);
    expect(turn?.credential).toBe(
      createHmac('sha1', secret)
        .update(turn?.username ?? '')
        .digest('base64'),
    );
    await client.close();
  });

  it('refuses to start with a readable message when the configuration is wrong', async () => {
    await expect(startProcess({ HTTP_PORT: 'eighty' })).rejects.toThrow(/HTTP_PORT: not a port: eighty/);
  });

  it("refuses to start with the sample coturn.conf's placeholder as TURN_SECRET, saying how to make one", async () => {
    const start = startProcess({
      TURN_URLS: 'turn:127.0.0.1:3478?transport=udp',
      TURN_SECRET: 'CHANGE-ME-to-the-same-value-as-TURN_SECRET',
    });
    await expect(start).rejects.toThrow(/TURN_SECRET: is the placeholder[^\n]*openssl rand -base64 32/);
  });
});
