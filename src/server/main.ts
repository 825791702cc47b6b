/**
 * `npm start`: reads the configuration, starts the servers, prints where to open the app (and a QR
 * code of the LAN address for phones), and shuts down cleanly on SIGTERM/SIGINT.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderUnicodeCompact } from 'uqr';
import { startServer } from './app.js';
import { loadConfig } from './config.js';
import { lanAddresses } from './lan.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env, path.dirname(fileURLToPath(import.meta.url)));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const log = createLogger(config.logLevel);
  const server = await startServer(config, log);

  const lan = lanAddresses();
  const lines = ['', '  JamSesh is running.', ''];
  if (server.httpUrl) lines.push(`  On this computer:   ${server.httpUrl}`);
  if (server.httpsUrl) lines.push(`  On this computer:   ${server.httpsUrl}`);
  const lanUrls =
    server.httpsPort === undefined || config.host !== '0.0.0.0'
      ? []
      : lan.map((ip) => `https://${ip}:${server.httpsPort}`);
  for (const url of lanUrls) lines.push(`  On your network:    ${url}`);
  const joinUrl = config.publicUrl ?? lanUrls[0];
  if (joinUrl) {
    lines.push('', `  Scan to open ${joinUrl} on a phone:`, '');
    lines.push(
      ...renderUnicodeCompact(joinUrl)
        .split('\n')
        .map((l) => `    ${l}`),
    );
  }
  if (server.selfSigned && lanUrls.length > 0) {
    lines.push(
      '',
      '  The certificate is self-signed: each phone asks once to accept it (Advanced -> Proceed).',
    );
  }
  // One machine-readable line for scripts and tests that start the server on port 0.
  lines.push('', `JAMSESH_LISTENING ${JSON.stringify({ http: server.httpUrl, https: server.httpsUrl })}`, '');
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

// Last resort, not a safety net: every socket and stream handles its own errors, so anything that
// gets here is a bug. Say what it was and exit, so a supervisor restarts a process in a known state.
const fatal = (what: string) => (err: unknown) => {
  process.stderr.write(`JamSesh stopped on ${what}: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
};
process.on('uncaughtException', fatal('an uncaught exception'));
process.on('unhandledRejection', fatal('an unhandled rejection'));

main().catch((err: unknown) => {
  process.stderr.write(`JamSesh could not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
