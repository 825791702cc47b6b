import path from 'node:path';
import { z } from 'zod';
import { parseTrustProxy, type TrustProxy } from './clientAddress.js';
import type { LogLevel } from './logger.js';

/**
 * Everything configurable, read from environment variables. Each default is what a person running
 * `npm start` on a laptop wants; docs/deploy.md lists them all.
 */
export interface Config {
  /** Address to bind (`HOST`, default 0.0.0.0 so phones on the LAN can reach it). */
  host: string;
  /** Plain HTTP port (`HTTP_PORT`, default 8080; 0 picks a free port; `off` disables). */
  httpPort: number | null;
  /** HTTPS port (`HTTPS_PORT`, default 8443; 0 picks a free port; `off` disables). */
  httpsPort: number | null;
  /** Where the generated certificate lives (`DATA_DIR`, default ./data). */
  dataDir: string;
  /** PEM files (`TLS_CERT`, `TLS_KEY`); without them a self-signed pair is made in DATA_DIR/tls. */
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** Built browser app (`STATIC_DIR`, default dist/client next to the server). */
  staticDir: string;
  /** Extra origins allowed to open the WebSocket (`ALLOWED_ORIGINS`, comma separated). */
  allowedOrigins: string[];
  /**
   * `TRUST_PROXY`: whose X-Forwarded-For entries to believe (off by default): a hop count (`1`, `true`)
   * takes the Nth entry from the right; a comma list of proxy IPs/CIDRs skips those from the right.
   */
  trustProxy: TrustProxy;
  /** `STUN_URLS`, comma separated; default none (a LAN needs none, and this machine has no internet). */
  stunUrls: string[];
  /** `TURN_URLS`, comma separated, e.g. turn:turn.example.com:3478?transport=udp,turns:turn.example.com:443?transport=tcp. */
  turnUrls: string[];
  /** `TURN_SECRET`: coturn's static-auth-secret. */
  turnSecret: string | undefined;
  /** `TURN_TTL` seconds, default 3600. */
  turnTtlSeconds: number;
  /** `MAX_ROOMS`, default 1000. */
  maxRooms: number;
  /** `MAX_MEMBERS`, per room including the host, default 16 (a host uploads one stream per listener). */
  maxMembers: number;
  /** `MAX_CONNECTIONS`, default 5000. */
  maxConnections: number;
  /** `MAX_CONNECTIONS_PER_ADDRESS`: open WebSockets per client address (IPv6: per /64), default 50. */
  maxConnectionsPerAddress: number;
  /** `MAX_ROOMS_PER_ADDRESS`: rooms one address hosts at once, default 20. */
  maxRoomsPerAddress: number;
  /** `CREATE_BURST` rooms an address may create in a row (default 30), then one per `CREATE_LEAK_MS` (10000). */
  createBurst: number;
  createLeakMs: number;
  /** `IDLE_SOCKET_MS`: a WebSocket in no room for this long is closed, default 60000. */
  idleSocketMs: number;
  /** `ROOM_IDLE_MS`: a room with no listener and no activity for this long ends, default 6 h. */
  roomIdleMs: number;
  /** `HEADERS_TIMEOUT_MS` to send a request's headers (default 10000), `REQUEST_TIMEOUT_MS` the whole request (30000). */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** `HOST_GRACE_MS`: how long a dropped host may reclaim its room, default 60000. */
  hostGraceMs: number;
  /** `LISTENER_GRACE_MS`: how long a dropped listener keeps its place, default 30000. */
  listenerGraceMs: number;
  /** `JOIN_BURST` wrong codes per address before slowing down (default 10), `JOIN_LEAK_MS` (default 30000). */
  joinBurst: number;
  joinLeakMs: number;
  /** `LOG_LEVEL`: debug, info, warn, error, silent (default info). */
  logLevel: LogLevel;
  /** `PUBLIC_URL`: the URL to print and put in the QR code, if the server sits behind a proxy. */
  publicUrl: string | undefined;
}

const list = z
  .string()
  .optional()
  .transform((s) =>
    (s ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );

const port = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === '') return fallback;
      if (s === 'off') return null;
      const n = /^\d{1,5}$/.test(s) ? Number(s) : Number.NaN;
      if (!Number.isInteger(n) || n < 0 || n > 65535) {
        ctx.addIssue({ code: 'custom', message: `not a port: ${s}` });
        return z.NEVER;
      }
      return n;
    });

const int = (fallback: number, min = 0) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === '') return fallback;
      const n = /^\d{1,15}$/.test(s) ? Number(s) : Number.NaN;
      if (!Number.isInteger(n) || n < min) {
        ctx.addIssue({ code: 'custom', message: `not an integer >= ${min}: ${s}` });
        return z.NEVER;
      }
      return n;
    });

export function loadConfig(env: NodeJS.ProcessEnv, serverDir: string): Config {
  const schema = z.object({
    HOST: z.string().default('0.0.0.0'),
    HTTP_PORT: port(8080),
    HTTPS_PORT: port(8443),
    DATA_DIR: z.string().default('data'),
    TLS_CERT: z.string().optional(),
    TLS_KEY: z.string().optional(),
    STATIC_DIR: z.string().optional(),
    ALLOWED_ORIGINS: list,
    TRUST_PROXY: z
      .string()
      .optional()
      .transform((s, ctx) => {
        try {
          return parseTrustProxy(s);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      }),
    STUN_URLS: list,
    TURN_URLS: list,
    TURN_SECRET: z.string().optional(),
    // Down to 5 s so the E2E tests can see a credential expire; a real deployment wants an hour or so.
    TURN_TTL: int(3600, 5),
    MAX_ROOMS: int(1000, 1),
    MAX_MEMBERS: int(16, 2),
    MAX_CONNECTIONS: int(5000, 1),
    MAX_CONNECTIONS_PER_ADDRESS: int(50, 1),
    MAX_ROOMS_PER_ADDRESS: int(20, 1),
    CREATE_BURST: int(30, 1),
    CREATE_LEAK_MS: int(10_000, 1),
    IDLE_SOCKET_MS: int(60_000, 100),
    ROOM_IDLE_MS: int(6 * 3600_000, 1000),
    HEADERS_TIMEOUT_MS: int(10_000, 100),
    REQUEST_TIMEOUT_MS: int(30_000, 100),
    HOST_GRACE_MS: int(60_000),
    LISTENER_GRACE_MS: int(30_000),
    JOIN_BURST: int(10, 1),
    JOIN_LEAK_MS: int(30_000, 1),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    PUBLIC_URL: z.string().url().optional(),
  });
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if ((e.TLS_CERT === undefined) !== (e.TLS_KEY === undefined)) {
    throw new Error('Invalid configuration:\n  TLS_CERT and TLS_KEY must be given together');
  }
  if (e.HEADERS_TIMEOUT_MS > e.REQUEST_TIMEOUT_MS) {
    throw new Error('Invalid configuration:\n  HEADERS_TIMEOUT_MS must not be above REQUEST_TIMEOUT_MS');
  }
  if (e.TURN_URLS.length > 0 && !e.TURN_SECRET) {
    throw new Error('Invalid configuration:\n  TURN_URLS needs TURN_SECRET (coturn static-auth-secret)');
  }
  const weakSecret = e.TURN_SECRET ? turnSecretProblem(e.TURN_SECRET) : null;
  if (weakSecret) throw new Error(`Invalid configuration:\n  TURN_SECRET: ${weakSecret}`);
  return {
    host: e.HOST,
    httpPort: e.HTTP_PORT,
    httpsPort: e.HTTPS_PORT,
    dataDir: path.resolve(e.DATA_DIR),
    tlsCert: e.TLS_CERT,
    tlsKey: e.TLS_KEY,
    staticDir: path.resolve(e.STATIC_DIR ?? path.join(serverDir, '..', '..', 'client')),
    allowedOrigins: e.ALLOWED_ORIGINS,
    trustProxy: e.TRUST_PROXY,
    stunUrls: e.STUN_URLS,
    turnUrls: e.TURN_URLS,
    turnSecret: e.TURN_SECRET,
    turnTtlSeconds: e.TURN_TTL,
    maxRooms: e.MAX_ROOMS,
    maxMembers: e.MAX_MEMBERS,
    maxConnections: e.MAX_CONNECTIONS,
    maxConnectionsPerAddress: e.MAX_CONNECTIONS_PER_ADDRESS,
    maxRoomsPerAddress: e.MAX_ROOMS_PER_ADDRESS,
    createBurst: e.CREATE_BURST,
    createLeakMs: e.CREATE_LEAK_MS,
    idleSocketMs: e.IDLE_SOCKET_MS,
    roomIdleMs: e.ROOM_IDLE_MS,
    headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    hostGraceMs: e.HOST_GRACE_MS,
    listenerGraceMs: e.LISTENER_GRACE_MS,
    joinBurst: e.JOIN_BURST,
    joinLeakMs: e.JOIN_LEAK_MS,
    logLevel: e.LOG_LEVEL,
    publicUrl: e.PUBLIC_URL,
  };
}

/** One captured credential lets anyone test guesses of the secret offline: short ones fall to that. */
export const TURN_SECRET_MIN_LENGTH = 32;

/**
 * Why this TURN secret must not be used (null if it may): anyone who knows it mints credentials
 * for the relay at will, so the sample's placeholder and short secrets are refused.
 */
export function turnSecretProblem(secret: string): string | null {
  const make =
    "make one with `openssl rand -base64 32` and set it as TURN_SECRET and as coturn's static-auth-secret";
  if (/change-?me/i.test(secret)) return `is the placeholder from the sample coturn.conf; ${make}`;
  if (secret.length < TURN_SECRET_MIN_LENGTH) {
    return `is ${secret.length} characters, fewer than ${TURN_SECRET_MIN_LENGTH}; ${make}`;
  }
  return null;
}
