import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The built server (`node dist/node/server/main.js`) as its own process, as a user runs it, for
 * the tests that stop and start it: same port and data folder each time, as after a restart.
 */
export class ServerProcess {
  readonly dataDir = mkdtempSync(path.join(tmpdir(), 'jamsesh-restart-'));
  #child: ChildProcess | null = null;

  constructor(
    readonly port: number,
    readonly env: Record<string, string> = {},
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The running process's id (for /proc/<pid>/status), undefined when it is not running. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Its exit code once it has exited by itself, else null. */
  get exitCode(): number | null {
    return this.#child?.exitCode ?? null;
  }

  /** Starts it and resolves once it answers /healthz. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, ['dist/node/server/main.js'], {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        HTTP_PORT: String(this.port),
        HTTPS_PORT: 'off',
        // The build with the test hooks (npm run build:client-test); dist/client has none.
        STATIC_DIR: 'dist/client-test',
        DATA_DIR: this.dataDir,
        LOG_LEVEL: 'warn',
        ...this.env,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    this.#child = child;
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
      try {
        if ((await fetch(`${this.url}/healthz`)).ok) return;
      } catch {}
      if (Date.now() > deadline) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGTERM, as `systemctl stop` sends it; resolves when the process has exited. */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}
