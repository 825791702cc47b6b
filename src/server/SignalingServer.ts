import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import {
  CLOSE_CODES,
  encodeMessage,
  LIMITS,
  parseClientMessage,
  type ServerMessage,
} from '../protocol/index.js';
import { addressKey, clientAddress, type TrustProxy } from './clientAddress.js';
import type { Clock, Hub, Session } from './Hub.js';
import { TokenBucket } from './limiters.js';
import type { Logger } from './logger.js';
import { requestPath } from './requestPath.js';
import { ThrottledLog } from './throttledLog.js';

export const WS_PATH = '/ws';

export interface SignalingOptions {
  /** Whether a browser page of this origin may open the socket (see originPolicy.ts). */
  originAllowed(origin: string | undefined): boolean;
  trustProxy: TrustProxy;
  maxConnections: number;
  /** Open sockets per client address (an IPv6 /64 counts as one address). */
  maxConnectionsPerAddress: number;
  /** A socket that is in no room for this long is closed (CLOSE_CODES.idle). */
  idleSocketMs: number;
  /** WebSocket ping interval; a connection that misses one pong is dropped. */
  heartbeatMs?: number;
}

/**
 * Frames above this close the connection (1009) before they are even buffered whole; frames between
 * LIMITS.maxMessageBytes and this get a `message-too-large` error and the connection stays.
 */
const HARD_MAX_PAYLOAD = 256 * 1024;
/** Per connection: bursts of 60 (a full ICE gathering), 30 messages/s sustained. */
const FLOOD_BURST = 60;
const FLOOD_PER_SECOND = 30;
/** A client that keeps flooding after being told is cut off. */
const FLOOD_DROPS_BEFORE_CLOSE = 500;
/** A refused upgrade whose client neither reads nor closes is cut off after this. */
const REFUSAL_LINGER_MS = 2000;
/** One log line per this long for refused origins, however many there are. */
const ORIGIN_LOG_EVERY_MS = 10_000;

interface Connection {
  session: Session;
  /** When the socket last was in no room (undefined while it is in one). */
  idleSince: number | undefined;
}

/**
 * The WebSocket adapter: accepts upgrades on /ws (same-origin only), turns frames into validated
 * messages for the Hub, and enforces per-connection limits. All room logic lives in the Hub.
 */
export class SignalingServer {
  readonly #wss: WebSocketServer;
  readonly #heartbeat: NodeJS.Timeout;
  /** Connections that answered (a pong or any frame) since the last heartbeat sweep. */
  readonly #alive = new Map<WebSocket, boolean>();
  readonly #connections = new Map<WebSocket, Connection>();
  /** Open (and handshaking) sockets per address key. */
  readonly #perAddress = new Map<string, number>();
  readonly #idleTimer: NodeJS.Timeout;
  readonly #refusedOrigins: ThrottledLog;
  #nextId = 1;
  #closed = false;

  constructor(
    readonly hub: Hub,
    readonly options: SignalingOptions,
    readonly clock: Clock,
    readonly log: Logger,
  ) {
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: HARD_MAX_PAYLOAD,
      perMessageDeflate: false,
    });
    this.#heartbeat = setInterval(() => this.#sweep(), options.heartbeatMs ?? 20_000);
    this.#heartbeat.unref();
    this.#idleTimer = setInterval(
      () => this.#closeIdle(),
      Math.min(15_000, Math.max(100, options.idleSocketMs / 4)),
    );
    this.#idleTimer.unref();
    this.#refusedOrigins = new ThrottledLog(ORIGIN_LOG_EVERY_MS, (fields) =>
      log.warn('websocket from foreign origin refused', fields),
    );
  }

  get connectionCount(): number {
    return this.#wss.clients.size;
  }

  /**
   * For an HTTP(S) server's 'upgrade' event. `useHttps`: where a plain-http page should be opened
   * instead (the socket is accepted and closed with CLOSE_CODES.useHttps, so the page can say it).
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, useHttps: string | null = null): void {
    // The client may reset at any moment, also while a refusal is written: an 'error' event with no
    // listener would end the process.
    socket.on('error', (err) => this.log.debug('upgrade socket error', { err: String(err) }));
    const path = requestPath(req.url);
    if (path === null) return reject(socket, 400, 'Bad Request');
    if (path !== WS_PATH) return reject(socket, 404, 'Not Found');
    if (this.#closed) return reject(socket, 503, 'Service Unavailable');
    const origin = req.headers.origin;
    if (!this.options.originAllowed(origin)) {
      this.#refusedOrigins.note(this.clock.now(), { origin: String(origin).slice(0, 200) });
      return reject(socket, 403, 'Forbidden');
    }
    if (this.#wss.clients.size >= this.options.maxConnections)
      return reject(socket, 503, 'Service Unavailable');
    const address = clientAddress(
      req.socket.remoteAddress,
      req.headers['x-forwarded-for'],
      this.options.trustProxy,
    );
    const key = addressKey(address);
    const open = this.#perAddress.get(key) ?? 0;
    if (open >= this.options.maxConnectionsPerAddress) return reject(socket, 429, 'Too Many Requests');
    // Counted from the handshake on, until the socket is gone however it ends.
    this.#perAddress.set(key, open + 1);
    socket.once('close', () => {
      const left = (this.#perAddress.get(key) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(key, left);
      else this.#perAddress.delete(key);
    });
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      if (useHttps !== null) {
        ws.on('error', () => {});
        ws.close(CLOSE_CODES.useHttps, useHttpsReason(useHttps));
        return;
      }
      this.#accept(ws, key);
    });
  }

  /** Closes every connection with 1001 (going away); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    clearInterval(this.#idleTimer);
    for (const ws of this.#wss.clients) ws.close(1001, 'server shutting down');
    this.#wss.close();
  }

  #accept(ws: WebSocket, address: string): void {
    const bucket = new TokenBucket(FLOOD_BURST, FLOOD_PER_SECOND, this.clock.now());
    let drops = 0;
    let lastRateError = 0;
    const session: Session = {
      id: this.#nextId++,
      address,
      send: (message: ServerMessage) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(encodeMessage(message));
      },
    };
    this.#alive.set(ws, true);
    const connection: Connection = { session, idleSince: this.clock.now() };
    this.#connections.set(ws, connection);
    ws.on('pong', () => this.#alive.set(ws, true));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      this.#alive.set(ws, true);
      const now = this.clock.now();
      if (!bucket.take(now)) {
        drops++;
        if (drops >= FLOOD_DROPS_BEFORE_CLOSE) {
          this.log.warn('closing flooding connection', { address: session.address });
          ws.close(1008, 'rate limit');
          return;
        }
        if (now - lastRateError >= 1000) {
          lastRateError = now;
          session.send({
            type: 'error',
            code: 'rate-limited',
            message: 'too many messages',
            retryAfterMs: bucket.waitMs(now),
          });
        }
        return;
      }
      drops = 0;
      if (isBinary) {
        session.send({
          type: 'error',
          code: 'bad-message',
          message: 'binary frames are not part of the protocol',
        });
        return;
      }
      const bytes = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
      if (bytes > LIMITS.maxMessageBytes) {
        session.send({
          type: 'error',
          code: 'message-too-large',
          message: `over ${LIMITS.maxMessageBytes} bytes`,
        });
        return;
      }
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data as ArrayBuffer).toString('utf8');
      const parsed = parseClientMessage(text);
      if (!parsed.ok) {
        session.send({
          type: 'error',
          code: parsed.code,
          message: parsed.message,
          ...(parsed.requestId !== undefined && { requestId: parsed.requestId }),
        });
        return;
      }
      try {
        this.hub.handle(session, parsed.message);
      } catch (err) {
        this.log.error('handler failed', { type: parsed.message.type, err: String(err) });
        session.send({ type: 'error', code: 'internal-error', message: 'the server could not handle that' });
      }
      if (session.place) connection.idleSince = undefined;
      else connection.idleSince ??= now;
    });
    ws.on('close', () => {
      this.#alive.delete(ws);
      this.#connections.delete(ws);
      this.hub.disconnect(session);
    });
    ws.on('error', (err) => this.log.debug('websocket error', { err: String(err) }));
    this.hub.connect(session);
  }

  #sweep(): void {
    for (const ws of this.#wss.clients) {
      if (!this.#alive.get(ws)) {
        ws.terminate();
        continue;
      }
      this.#alive.set(ws, false);
      ws.ping();
    }
  }

  /** Closes sockets that have been in no room for idleSocketMs: a page left open holds nothing here. */
  #closeIdle(): void {
    const now = this.clock.now();
    for (const [ws, connection] of this.#connections) {
      if (connection.session.place) {
        connection.idleSince = undefined;
        continue;
      }
      connection.idleSince ??= now;
      if (now - connection.idleSince >= this.options.idleSocketMs) {
        this.#connections.delete(ws);
        ws.close(CLOSE_CODES.idle, 'joined no room');
      }
    }
  }
}

function reject(socket: Duplex, status: number, text: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
}

/** A close reason is at most 123 bytes; a long PUBLIC_URL gets the short form. */
export function useHttpsReason(target: string): string {
  const reason = `open ${target} instead`;
  return Buffer.byteLength(reason) <= 123 ? reason : 'open this page over https instead';
}
