import { randomBytes } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/app.js';
import type { Config } from '../../src/server/config.js';
import { startTestServer } from '../support/server.js';

/**
 * The static side, as a stranger would probe it: real files outside the app folder (next to it, in
 * a sibling whose name starts like it, and behind links inside it), asked for with raw request
 * targets (fetch() would tidy a `..` away before it left the test).
 */
let server: RunningServer & { config: Config };
const SECRET = `secret-${randomBytes(12).toString('hex')}`;
const INSIDE = `inside-${randomBytes(12).toString('hex')}`;

beforeAll(async () => {
  server = await startTestServer();
  const root = server.config.staticDir;
  const dir = path.dirname(root);
  writeFileSync(path.join(dir, 'secret.txt'), SECRET);
  // A sibling folder whose path begins with the root's: a prefix check without a separator lets it out.
  mkdirSync(`${root}-private`);
  writeFileSync(path.join(`${root}-private`, 'secret.txt'), SECRET);
  mkdirSync(path.join(dir, 'elsewhere'));
  writeFileSync(path.join(dir, 'elsewhere', 'secret.txt'), SECRET);
  // What may be served: a file, a file in a folder, and a link that stays inside the root.
  writeFileSync(path.join(root, 'hello.txt'), INSIDE);
  mkdirSync(path.join(root, 'assets'));
  writeFileSync(path.join(root, 'assets', 'hello.txt'), INSIDE);
  symlinkSync('hello.txt', path.join(root, 'alias.txt'));
  // Links inside the root that lead out of it: to a file, and to a folder.
  symlinkSync(path.join(dir, 'secret.txt'), path.join(root, 'leak.txt'));
  symlinkSync(path.join(dir, 'elsewhere'), path.join(root, 'elsewhere'));
});
afterAll(async () => {
  await server.close();
});

/** Sends `target` as the request line's target, byte for byte, and reads the whole reply. */
function rawGet(target: string): Promise<{ status: number; reply: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.httpPort as number, '127.0.0.1');
    let reply = '';
    socket.setEncoding('latin1');
    socket.setTimeout(5000, () => socket.destroy(new Error(`no reply to ${target} within 5 s`)));
    socket.on('connect', () =>
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, 'latin1'),
    );
    socket.on('data', (d: string) => {
      reply += d;
    });
    socket.on('error', reject);
    socket.on('end', () => {
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(reply);
      if (!status) reject(new Error(`not an HTTP reply to ${target}: ${JSON.stringify(reply.slice(0, 80))}`));
      else resolve({ status: Number(status[1]), reply });
    });
  });
}

const up = (n: number) => '..%2f'.repeat(n);

describe('the app folder', () => {
  it.each([['/hello.txt'], ['/assets/hello.txt'], ['/assets/../hello.txt'], ['/alias.txt']])(
    'serves %s, a file inside it (so the raw reader below sees bodies)',
    async (target) => {
      const { status, reply } = await rawGet(target);
      expect(status).toBe(200);
      expect(reply).toContain(INSIDE);
    },
  );

  it.each([
    ['a plain ..', '/../secret.txt'],
    ['.. after a folder', '/assets/../../secret.txt'],
    ['an encoded ..', '/%2e%2e/secret.txt'],
    ['an encoded .. in capitals', '/%2E%2E/secret.txt'],
    ['half an encoded ..', '/.%2e/secret.txt'],
    ['an encoded slash', '/..%2fsecret.txt'],
    ['an encoded slash in capitals', '/..%2Fsecret.txt'],
    ['encoded slashes after a folder', '/assets/..%2f..%2fsecret.txt'],
    ['all of it encoded', '/%2e%2e%2fsecret.txt'],
    ['a backslash', '/..\\secret.txt'],
    ['an encoded backslash', '/..%5csecret.txt'],
    ['encoded backslashes after a folder', '/assets%5c..%5c..%5csecret.txt'],
    ['a double-encoded ..', '/%252e%252e%252fsecret.txt'],
    ['a double-encoded slash', '/..%252fsecret.txt'],
    ['a sibling folder named like the root', '/..%2fclient-private%2fsecret.txt'],
    ['a sibling folder, plain', '/../client-private/secret.txt'],
    ['its absolute path, after climbing to /', `/${up(40)}{abs}`],
    ['the absolute-form target', 'http://127.0.0.1/..%2fsecret.txt'],
    ['a NUL byte', '/..%2fsecret.txt%00.html'],
    ['a link inside the root to a file outside', '/leak.txt'],
    ['a link inside the root to a folder outside', '/elsewhere/secret.txt'],
  ])('never serves a file outside it: %s', async (_how, written) => {
    const secretPath = path.join(path.dirname(server.config.staticDir), 'secret.txt');
    const target = written.replace('{abs}', secretPath.split('/').join('%2f'));
    const { status, reply } = await rawGet(target);
    expect(reply, target).not.toContain(SECRET);
    expect([400, 404], `${target} -> ${status}`).toContain(status);
  });

  it('answers as usual after all of these', async () => {
    const res = await fetch(`${server.httpUrl}/healthz`);
    expect(res.status).toBe(200);
  });
});
