import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { type Clock, Hub, systemClock } from './Hub.js';
import { lanAddresses } from './lan.js';
import type { Logger } from './logger.js';
import { RoomStore } from './RoomStore.js';
import { SignalingServer } from './SignalingServer.js';
import { createStaticHandler, SECURITY_HEADERS } from './staticFiles.js';
import { loadOrCreateTls } from './tls.js';

/** How often changed rooms are written to the data folder. */
const SAVE_EVERY_MS = 1000;

export interface RunningServer {
  hub: Hub;
  signaling: SignalingServer;
  /** e.g. http://127.0.0.1:8080, when HTTP is on. */
  httpUrl: string | undefined;
  /** e.g. https://127.0.0.1:8443, when HTTPS is on. */
  httpsUrl: string | undefined;
  httpsPort: number | undefined;
  httpPort: number | undefined;
  selfSigned: boolean;
  /** Saves the rooms, stops accepting, says goodbye to every client (they reconnect), closes; idempotent. */
  close(): Promise<void>;
}

/** Starts the HTTP and HTTPS servers, the static app and the signaling endpoint. */
export async function startServer(
  config: Config,
  log: Logger,
  clock: Clock = systemClock,
): Promise<RunningServer> {
  const startedAt = clock.now();
  const hub = new Hub(config, clock, log);
  // Rooms survive a restart: saved every second while they change, and on the way out.
  const store = new RoomStore(config.dataDir, log, () => clock.now());
  hub.restore(store.load());
  // One save at a time: a tick that finds one still running leaves the changes to the next.
  const saveTimer = setInterval(() => {
    if (!store.saving) void store.save(() => hub.rooms());
  }, SAVE_EVERY_MS);
  saveTimer.unref();
  const signaling = new SignalingServer(
    hub,
    {
      allowedOrigins: config.allowedOrigins,
      trustProxy: config.trustProxy,
      maxConnections: config.maxConnections,
    },
    clock,
    log,
  );
  const serveStatic = createStaticHandler(config.staticDir);

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(
        JSON.stringify({
          ok: true,
          rooms: hub.roomCount,
          connections: signaling.connectionCount,
          uptimeSeconds: Math.round((clock.now() - startedAt) / 1000),
        }),
      );
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    serveStatic(req, res).catch((err: unknown) => {
      log.error('static file failed', { err: String(err) });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };

  const servers: Server[] = [];
  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, config.host, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const wire = (server: Server) => {
    server.on('upgrade', (req, socket, head) => signaling.handleUpgrade(req, socket, head));
    server.on('clientError', (_err, socket) => socket.destroy());
    servers.push(server);
  };

  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  let httpPort: number | undefined;
  let httpsPort: number | undefined;
  let selfSigned = false;
  try {
    if (config.httpPort !== null) {
      const server = createHttpServer(onRequest);
      wire(server);
      httpPort = await listen(server, config.httpPort);
    }
    if (config.httpsPort !== null) {
      const hosts = ['localhost', '127.0.0.1', ...lanAddresses()];
      if (!['0.0.0.0', '::'].includes(config.host) && !hosts.includes(config.host)) hosts.push(config.host);
      const tls = await loadOrCreateTls(
        { certFile: config.tlsCert, keyFile: config.tlsKey, dataDir: config.dataDir, hosts },
        log,
      );
      selfSigned = tls.selfSigned;
      const server = createHttpsServer({ cert: tls.cert, key: tls.key }, onRequest) as unknown as Server;
      wire(server);
      httpsPort = await listen(server, config.httpsPort);
    }
  } catch (err) {
    clearInterval(saveTimer);
    signaling.close();
    for (const s of servers) s.close();
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    hub,
    signaling,
    httpPort,
    httpsPort,
    httpUrl: httpPort === undefined ? undefined : `http://${shownHost}:${httpPort}`,
    httpsUrl: httpsPort === undefined ? undefined : `https://${shownHost}:${httpsPort}`,
    selfSigned,
    close() {
      closing ??= (async () => {
        clearInterval(saveTimer);
        // Every client is told to go first, so what they did until then is in the last save.
        signaling.close();
        await store.flush(() => hub.rooms());
        await Promise.all(
          servers.map(
            (s) =>
              new Promise<void>((resolve) => {
                s.close(() => resolve());
                s.closeAllConnections();
              }),
          ),
        );
      })();
      return closing;
    },
  };
}
