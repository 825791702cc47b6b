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
import { httpsTarget } from './httpsRedirect.js';
import { lanAddresses } from './lan.js';
import type { Logger } from './logger.js';
import { createOriginPolicy } from './originPolicy.js';
import { RoomStore } from './RoomStore.js';
import { requestPath } from './requestPath.js';
import { SignalingServer } from './SignalingServer.js';
import { createStaticHandler, SECURITY_HEADERS } from './staticFiles.js';
import { loadOrCreateTls } from './tls.js';

/** How often changed rooms are written to the data folder. */
const SAVE_EVERY_MS = 1000;
/** Between requests on a kept-alive connection (Node's default, said out loud). */
const KEEP_ALIVE_TIMEOUT_MS = 5000;
/** Request line plus headers, in bytes (Node's default, said out loud). */
const MAX_HEADER_BYTES = 16 * 1024;

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
  const idleTimer = setInterval(() => hub.endIdleRooms(), Math.min(60_000, config.roomIdleMs / 4));
  idleTimer.unref();
  const ports: number[] = [];
  const wildcard = config.host === '0.0.0.0' || config.host === '::';
  const originAllowed = createOriginPolicy({
    origins: [...config.allowedOrigins, ...(config.publicUrl ? [config.publicUrl] : [])],
    // Read per upgrade: a laptop's LAN address changes when it moves to another network.
    hosts: () => (wildcard ? lanAddresses() : [config.host, ...lanAddresses()]),
    ports: () => ports,
  });
  const signaling = new SignalingServer(
    hub,
    {
      originAllowed,
      trustProxy: config.trustProxy,
      maxConnections: config.maxConnections,
      maxConnectionsPerAddress: config.maxConnectionsPerAddress,
      idleSocketMs: config.idleSocketMs,
    },
    clock,
    log,
  );
  const serveStatic = createStaticHandler(config.staticDir);

  let httpsPort: number | undefined;
  /** For a request over plain http: the https address to send it to, or null to serve it here. */
  const insecureTarget = (req: IncomingMessage) =>
    httpsTarget(req.headers.host, req.headers['x-forwarded-proto'], {
      httpsPort,
      publicUrl: config.publicUrl,
      trustProxy: config.trustProxy.kind !== 'off',
    });

  const onRequest = (req: IncomingMessage, res: ServerResponse, secure: boolean) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const pathname = requestPath(req.url);
    if (pathname === null) {
      res.writeHead(400).end();
      return;
    }
    const target = secure ? null : insecureTarget(req);
    if (target !== null && pathname !== '/healthz') {
      // 308 keeps the method; the path and query come along (req.url is a path here, checked above).
      const rest = (req.url ?? '/').startsWith('/') ? (req.url ?? '/') : '/';
      res.writeHead(308, { Location: `${target}${rest}`, 'Cache-Control': 'no-store' }).end();
      return;
    }
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
  const wire = (server: Server, secure: boolean) => {
    server.headersTimeout = config.headersTimeoutMs;
    server.requestTimeout = config.requestTimeoutMs;
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.on('upgrade', (req, socket, head) =>
      signaling.handleUpgrade(req, socket, head, secure ? null : insecureTarget(req)),
    );
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      // Answer a bad request if the client is still there to read it, then let go of the socket.
      socket.on('error', () => {});
      if (socket.writable && err.code !== 'ECONNRESET') {
        const status =
          err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      }
      socket.destroy();
    });
    servers.push(server);
  };
  // The slowloris check runs this often (Node's default is every 30 s).
  const serverOptions = {
    maxHeaderSize: MAX_HEADER_BYTES,
    connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs / 2),
  };

  const shownHost = wildcard ? 'localhost' : config.host;
  let httpPort: number | undefined;
  let selfSigned = false;
  try {
    if (config.httpPort !== null) {
      const server = createHttpServer(serverOptions, (req, res) => onRequest(req, res, false));
      wire(server, false);
      httpPort = await listen(server, config.httpPort);
      ports.push(httpPort);
    }
    if (config.httpsPort !== null) {
      const hosts = ['localhost', '127.0.0.1', ...lanAddresses()];
      if (!['0.0.0.0', '::'].includes(config.host) && !hosts.includes(config.host)) hosts.push(config.host);
      const tls = await loadOrCreateTls(
        { certFile: config.tlsCert, keyFile: config.tlsKey, dataDir: config.dataDir, hosts },
        log,
      );
      selfSigned = tls.selfSigned;
      const server = createHttpsServer(
        { ...serverOptions, cert: tls.cert, key: tls.key, handshakeTimeout: config.headersTimeoutMs },
        (req, res) => onRequest(req, res, true),
      ) as unknown as Server;
      wire(server, true);
      httpsPort = await listen(server, config.httpsPort);
      ports.push(httpsPort);
    }
  } catch (err) {
    clearInterval(saveTimer);
    clearInterval(idleTimer);
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
        clearInterval(idleTimer);
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
