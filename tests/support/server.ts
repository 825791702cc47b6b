import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type RunningServer, startServer } from '../../src/server/app.js';
import { type Config, loadConfig } from '../../src/server/config.js';
import { createLogger } from '../../src/server/logger.js';

/** A real JamSesh server on a free loopback port, with a throwaway data folder and a stub app. */
export async function startTestServer(
  env: Record<string, string> = {},
): Promise<RunningServer & { config: Config }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jamsesh-test-'));
  const staticDir = path.join(dir, 'client');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(staticDir);
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>JamSesh</title>');
  const config = loadConfig(
    {
      HOST: '127.0.0.1',
      HTTP_PORT: '0',
      HTTPS_PORT: 'off',
      DATA_DIR: path.join(dir, 'data'),
      STATIC_DIR: staticDir,
      LOG_LEVEL: 'silent',
      // Every test client comes from 127.0.0.1: the per-address room quotas are fairUse.test.ts's to test.
      MAX_ROOMS_PER_ADDRESS: '1000',
      CREATE_BURST: '1000',
      ...env,
    },
    dir,
  );
  const server = await startServer(config, createLogger(config.logLevel));
  return Object.assign(server, { config });
}
