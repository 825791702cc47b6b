import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The built JamSesh server, running as its own process on a free loopback port. */
export interface BenchServer {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its data directory. Idempotent. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;

/**
 * Starts `node dist/node/server/main.js` with HTTPS off on 127.0.0.1, port 0 (the server picks a
 * free one and prints it on its `JAMSESH_LISTENING` line, which is made for this), serving the
 * app's test build (dist/client-test).
 */
export async function startServer(root: string, extraEnv: Record<string, string> = {}): Promise<BenchServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jamsesh-bench-'));
  const child = spawn(process.execPath, [path.join(root, 'dist/node/server/main.js')], {
    cwd: root,
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      HTTP_PORT: '0',
      HTTPS_PORT: 'off',
      // The build with the test hooks the benchmark reads (npm run build:client-test).
      STATIC_DIR: path.join(root, 'dist/client-test'),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      // The late joiner and the host's reload (for ?latency=) must not be slowed down or lose places.
      HOST_GRACE_MS: '30000',
      // Every browser here comes from 127.0.0.1: one address for the whole run's rooms.
      MAX_ROOMS_PER_ADDRESS: '1000',
      CREATE_BURST: '1000',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= stopChild(child).finally(() => rmSync(dataDir, { recursive: true, force: true }));
    return stopped;
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`server did not start in ${START_TIMEOUT_MS} ms: ${stderr}`)),
        START_TIMEOUT_MS,
      );
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /JAMSESH_LISTENING (\{.*\})/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          const listening = JSON.parse(m[1]) as { http: string | null };
          if (listening.http) resolve(listening.http.replace(/\/$/, ''));
          else reject(new Error('server has no HTTP URL'));
          out = '';
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code}: ${stderr}`));
      });
    });
    return { url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
