import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A real coturn (Debian's `turnserver`) for the tests and the benchmark: on loopback, with the
 * same `use-auth-secret` scheme as production (docs/deploy.md), so the credentials the JamSesh server
 * mints are checked by the real relay.
 *
 * `--allow-loopback-peers` is needed because every peer here is on 127.0.0.1; it must never be used
 * in production (it would let clients relay into the server's own loopback services).
 */
export interface TurnTestConfig {
  port: number;
  secret: string;
  /** Relayed addresses come from this UDP port range. */
  minPort: number;
  maxPort: number;
  /** Where coturn may write its pid file and (unused) database. */
  dir: string;
}

/** coturn's arguments for a test relay. */
export function coturnArgs(c: TurnTestConfig): string[] {
  return [
    '-n',
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${c.port}`,
    '--use-auth-secret',
    `--static-auth-secret=${c.secret}`,
    '--realm=jamsesh.test',
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--allow-loopback-peers',
    '--fingerprint',
    `--min-port=${c.minPort}`,
    `--max-port=${c.maxPort}`,
    `--pidfile=${c.dir}/turnserver.pid`,
    `--db=${c.dir}/turndb`,
    '--log-file=stdout',
    '--simple-log',
  ];
}

/** The command line that runs coturn for tests; it stops by itself after `lifetimeSec`. */
export function coturnCommand(c: TurnTestConfig, lifetimeSec = 5400): string {
  const args = coturnArgs(c);
  // --foreground keeps it in the caller's process group, so the test runner's stop reaches it.
  return `exec timeout --foreground ${lifetimeSec} turnserver ${args.join(' ')}`;
}

/** The TURN URL a client is given for this server (UDP, as the tests' impairment relay carries). */
export function turnUrl(port: number): string {
  return `turn:127.0.0.1:${port}?transport=udp`;
}

/** One request coturn answered, from its verbose log. */
export interface TurnRequest {
  /** When the test read the line (ms since the epoch: coturn writes each line at once). */
  at: number;
  /** The username it came with ("" for the first, unauthenticated try that every client makes). */
  user: string;
  /** ALLOCATE, REFRESH, CREATE_PERMISSION...; coturn names a refused request's method "message". */
  method: string;
  ok: boolean;
  /** The error, e.g. "401: Unauthorized", when not ok. */
  error: string | null;
}

/**
 * A coturn of a test's own, on a free loopback port with a fresh secret, whose verbose log the test
 * reads: every request it answered, with the username it carried (TURN REST: "<expiry>:<peer id>").
 * It stops with `stop()`, or by itself after `lifetimeSec`.
 */
export class CoturnProcess {
  readonly requests: TurnRequest[] = [];

  private constructor(
    readonly port: number,
    readonly secret: string,
    readonly child: ChildProcess,
    readonly dir: string,
  ) {
    let pending = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        // "session 0010...: realm <r> user <name>: incoming packet ALLOCATE processed, success"
        const m = /user <([^>]*)>: incoming packet (\S+) processed, (success|error (.*))$/.exec(line);
        if (!m) continue;
        const [, user = '', method = '', outcome = '', error] = m;
        this.requests.push({ at: Date.now(), user, method, ok: outcome === 'success', error: error ?? null });
      }
    });
  }

  static async start(ports: { minPort: number; maxPort: number }, lifetimeSec = 600): Promise<CoturnProcess> {
    const port = await freeLoopbackPort();
    const secret = randomBytes(24).toString('base64url');
    const dir = mkdtempSync(path.join(tmpdir(), 'jamsesh-turn-'));
    const args = [...coturnArgs({ port, secret, dir, ...ports }), '--verbose'];
    const child = spawn('timeout', ['--foreground', String(lifetimeSec), 'turnserver', ...args], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const turn = new CoturnProcess(port, secret, child, dir);
    const deadline = Date.now() + 10_000;
    while (!(await tcpListening(port))) {
      if (child.exitCode !== null) throw new Error(`coturn exited with ${child.exitCode}`);
      if (Date.now() > deadline) {
        await turn.stop();
        throw new Error('coturn did not start listening');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return turn;
  }

  /** Requests that came with a credential of this peer id. */
  requestsOf(peerId: string): TurnRequest[] {
    return this.requests.filter((r) => r.user.endsWith(`:${peerId}`));
  }

  /** Allocations it granted to credentials of this peer id. */
  allocations(peerId: string): TurnRequest[] {
    return this.requestsOf(peerId).filter((r) => r.method === 'ALLOCATE' && r.ok);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on now. */
export async function freeLoopbackPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function tcpListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}
