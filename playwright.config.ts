import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './tests/support/chromium.js';

const port = Number(process.env.E2E_PORT ?? 18931);

/**
 * End-to-end tests: Debian's Chromium (never a downloaded browser) against the built app served by
 * the real server on a loopback port. One browser, one context per person in the jam.
 */
export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  // 2 cores: one test at a time, each with several pages, is what holds up under load.
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
    },
  },
  // One project per spec file: each gets its own worker and so a fresh browser. Audio pages leave
  // work behind in the browser's shared audio service; a fresh one keeps each audio test's
  // measurements its own.
  projects: [
    { name: 'rooms', testMatch: 'jam.spec.ts' },
    { name: 'files', testMatch: 'files.spec.ts' },
    { name: 'sync', testMatch: 'sync.spec.ts' },
  ],
  webServer: {
    command: 'node dist/node/server/main.js',
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      HTTPS_PORT: 'off',
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'jamsesh-e2e-')),
      HOST_GRACE_MS: '8000',
      LOG_LEVEL: 'warn',
    },
  },
});
