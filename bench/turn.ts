import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { coturnArgs, turnUrl } from '../tests/support/turn.js';
import { until } from './wait.js';

/** A real coturn on loopback for the network runs (the same setup as the E2E tests). */
export interface BenchTurn {
  port: number;
  secret: string;
  /** TURN_URLS / TURN_SECRET for a JamSesh server that should mint credentials for it. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

export async function startTurn(): Promise<BenchTurn> {
  const port = await freePort();
  const secret = randomBytes(24).toString('base64url');
  const dir = mkdtempSync(path.join(tmpdir(), 'jamsesh-bench-turn-'));
  const child: ChildProcess = spawn(
    'turnserver',
    coturnArgs({ port, secret, minPort: 49300, maxPort: 49400, dir }),
    { stdio: 'ignore' },
  );
  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    }).finally(() => rmSync(dir, { recursive: true, force: true }));
    return stopped;
  };
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (e) => reject(new Error(`coturn (turnserver) did not start: ${e.message}`))),
  );
  try {
    await Promise.race([until(() => listening(port), 10_000, 'coturn to listen'), spawnError]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, secret, env: { TURN_URLS: turnUrl(port), TURN_SECRET: secret }, stop };
}
