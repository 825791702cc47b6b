import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { encodeMessage, LIMITS, parseClientMessage, type ServerMessage } from '../protocol/index.js';
import type { Clock, Hub, Session } from './Hub.js';
import { TokenBucket } from './limiters.js';
import type { Logger } from './logger.js';

export const WS_PATH = '/ws';

export interface SignalingOptions {
  allowedOrigins: string[];
  trustProxy: boolean;
  maxConnections: number;
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

/**
 * The WebSocket adapter: accepts upgrades on /ws (same-origin only), turns frames into validated
 * messages for the Hub, and enforces per-connection limits. All room logic lives in the Hub.
 */
export class SignalingServer {
  readonly #wss: WebSocketServer;
  readonly #heartbeat: NodeJS.Timeout;
  /** Connections that answered (a pong or any frame) since the last heartbeat sweep. */
  readonly #alive = new Map<WebSocket, boolean>();
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
  }

  get connectionCount(): number {
    return this.#wss.clients.size;
  }

  /** For an HTTP(S) server's 'upgrade' event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== WS_PATH) return reject(socket, 404, 'Not Found');
    if (this.#closed) return reject(socket, 503, 'Service Unavailable');
    if (!this.#originAllowed(req)) {
      this.log.warn('websocket from foreign origin refused', { origin: req.headers.origin });
      return reject(socket, 403, 'Forbidden');
    }
    if (this.#wss.clients.size >= this.options.maxConnections)
      return reject(socket, 503, 'Service Unavailable');
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, req));
  }

  /** Closes every connection with 1001 (going away); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    for (const ws of this.#wss.clients) ws.close(1001, 'server shutting down');
    this.#wss.close();
  }

  /**
   * Browsers always send Origin on a WebSocket upgrade; a page on another site must not be able to
   * drive a visitor's browser into our rooms. Clients that are not browsers send none and are allowed.
   */
  #originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    if (this.options.allowedOrigins.includes(origin)) return true;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }

  #address(req: IncomingMessage): string {
    if (this.options.trustProxy) {
      const forwarded = req.headers['x-forwarded-for'];
      const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
      if (first) return first;
    }
    return req.socket.remoteAddress ?? 'unknown';
  }

  #accept(ws: WebSocket, req: IncomingMessage): void {
    const bucket = new TokenBucket(FLOOD_BURST, FLOOD_PER_SECOND, this.clock.now());
    let drops = 0;
    let lastRateError = 0;
    const session: Session = {
      id: this.#nextId++,
      address: this.#address(req),
      send: (message: ServerMessage) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(encodeMessage(message));
      },
    };
    this.#alive.set(ws, true);
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
    });
    ws.on('close', () => {
      this.#alive.delete(ws);
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
}

function reject(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
