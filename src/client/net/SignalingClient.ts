import {
  CLOSE_CODES,
  type ClientMessage,
  type ClientMessageOf,
  encodeMessage,
  PROTOCOL_VERSION,
  parseServerMessage,
  type ServerMessage,
  type ServerMessageOf,
} from '../../protocol/index.js';
import { type BackoffOptions, backoffDelay, RECONNECT_BACKOFF } from './backoff.js';
import { ClockOffsetEstimator } from './ClockOffset.js';
import { RequestError } from './RequestError.js';
import { TypedEmitter } from './TypedEmitter.js';

/**
 * `connecting`: the first connection is being opened. `open`: a socket is up. `reconnecting`: the
 * socket dropped (or never opened) and another try is scheduled or running. `idle`: the server
 * closed a socket that was in no room; the next request connects again. `refused`: the server will
 * not talk to this page (it was opened over plain http; `refusal` says what to open instead); no
 * more tries. `closed`: `close()` was called; nothing happens any more.
 */
export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'idle' | 'refused' | 'closed';

export interface SignalingEvents {
  /** The connection status changed; the payload is the new status. */
  status: ConnectionStatus;
  /** A socket opened: the first one (`reconnected: false`) or one after a drop (`true`). */
  open: { reconnected: boolean };
  /**
   * Every valid message from the server, in arrival order, including answers to requests (an
   * `error` answering a request is emitted here too, and also rejects that request's promise).
   */
  message: ServerMessage;
}

/** What the socket adapter reports back. */
export interface SocketHandlers {
  open(): void;
  message(frame: string): void;
  /** The socket is gone (closed or failed to open), with the close code and reason the server gave. */
  close(code: number, reason: string): void;
}

/** The little the client needs of a WebSocket; `browserSocket` wraps the real one, tests pass a fake. */
export interface SocketLike {
  send(frame: string): void;
  /** Closes without calling the handlers any more. */
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string, handlers: SocketHandlers) => SocketLike;

export const browserSocket: SocketFactory = (url, handlers) => {
  const ws = new WebSocket(url);
  ws.onopen = () => handlers.open();
  ws.onmessage = (event) => {
    if (typeof event.data === 'string') handlers.message(event.data);
    else console.warn('signaling: binary frame dropped (not part of the protocol)');
  };
  ws.onclose = (event) => handlers.close(event.code, event.reason);
  // An error is always followed by a close event, which is where we act.
  ws.onerror = () => {};
  return {
    send: (frame) => ws.send(frame),
    close: (code, reason) => {
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.close(code, reason);
    },
  };
};

/** The signaling endpoint of the server that served this page. */
export function signalingUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

export interface SignalingClientOptions {
  url: string;
  socket?: SocketFactory;
  /** Local wall clock in ms; the server's clock is compared with it. */
  now?: () => number;
  random?: () => number;
  backoff?: BackoffOptions;
  /** App-level ping period. Browsers cannot see WebSocket ping frames, so liveness is ours to check. */
  pingIntervalMs?: number;
  /**
   * A ping unanswered this long means the connection is dead even if the socket looks open (a phone
   * that changed networks keeps a half-open TCP connection for minutes).
   */
  pongTimeoutMs?: number;
  requestTimeoutMs?: number;
}

type RequestType = 'create-room' | 'join-room' | 'resume' | 'leave-room';
type AnswerOf<T extends RequestType> = T extends 'leave-room'
  ? ServerMessageOf<'left'>
  : ServerMessageOf<'joined'>;

interface PendingRequest {
  type: RequestType;
  frame: string;
  /** Local time the frame went out; undefined while it waits for a socket. */
  sentAt: number | undefined;
  timer: ReturnType<typeof setTimeout>;
  resolve(answer: ServerMessage): void;
  reject(error: RequestError): void;
}

const NORMAL_CLOSURE = 1000;

/**
 * The browser's line to the signaling server: one WebSocket, validated in both directions, that
 * comes back by itself after any drop, knows when it is dead, estimates the server's clock and
 * matches answers to requests. It knows nothing of rooms: JamClient decides what to do on a
 * reconnect (send `resume`).
 */
export class SignalingClient extends TypedEmitter<SignalingEvents> {
  readonly clock = new ClockOffsetEstimator();
  readonly #url: string;
  readonly #createSocket: SocketFactory;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #backoff: BackoffOptions;
  readonly #pingIntervalMs: number;
  readonly #pongTimeoutMs: number;
  readonly #requestTimeoutMs: number;

  #status: ConnectionStatus = 'connecting';
  #socket: SocketLike | undefined;
  #socketOpen = false;
  #openedBefore = false;
  /** Failed tries since the last socket that got as far as `welcome`. */
  #attempt = 0;
  #connectStartedAt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #pongDeadline: ReturnType<typeof setTimeout> | undefined;
  readonly #pending = new Map<string, PendingRequest>();
  #nextRequestId = 1;
  #refusal: string | undefined;

  constructor(options: SignalingClientOptions) {
    super();
    this.#url = options.url;
    this.#createSocket = options.socket ?? browserSocket;
    this.#now = options.now ?? (() => Date.now());
    this.#random = options.random ?? Math.random;
    this.#backoff = options.backoff ?? RECONNECT_BACKOFF;
    this.#pingIntervalMs = options.pingIntervalMs ?? 5000;
    this.#pongTimeoutMs = options.pongTimeoutMs ?? 8000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#connect();
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  /** While `refused`: the server's words, e.g. "open https://192.168.1.20:8443 instead". */
  get refusal(): string | undefined {
    return this.#refusal;
  }

  /** The server's clock now, as well as we know it. */
  serverNow(): number {
    return this.clock.serverNow(this.#now());
  }

  /** Sends a message that expects no answer; false (and nothing sent) while there is no socket. */
  send(message: ClientMessage): boolean {
    if (!this.#socket || !this.#socketOpen) return false;
    this.#socket.send(encodeMessage(message));
    return true;
  }

  createRoom(name: string): Promise<ServerMessageOf<'joined'>> {
    return this.#request('create-room', (requestId) => ({ type: 'create-room', requestId, name }));
  }

  joinRoom(code: string, name: string): Promise<ServerMessageOf<'joined'>> {
    return this.#request('join-room', (requestId) => ({ type: 'join-room', requestId, code, name }));
  }

  resume(place: { code: string; peerId: string; token: string }): Promise<ServerMessageOf<'joined'>> {
    const { code, peerId, token } = place;
    return this.#request('resume', (requestId) => ({ type: 'resume', requestId, code, peerId, token }));
  }

  leaveRoom(): Promise<ServerMessageOf<'left'>> {
    return this.#request('leave-room', (requestId) => ({ type: 'leave-room', requestId }));
  }

  /** Skips the rest of a reconnect wait (the browser says the network is back). */
  reconnectNow(): void {
    if (this.#status !== 'reconnecting' || this.#reconnectTimer === undefined) return;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#connect();
  }

  /** Pings now, e.g. when a phone brings the page back to the foreground, to find a dead socket fast. */
  probe(): void {
    if (this.#socketOpen) this.#ping();
  }

  /** Closes for good: no more reconnects, pending requests fail with `closed`. Safe to call twice. */
  close(): void {
    if (this.#status === 'closed') return;
    this.#stopTimers();
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#socket?.close(NORMAL_CLOSURE, 'client closed');
    this.#socket = undefined;
    this.#socketOpen = false;
    for (const [id, request] of this.#pending) this.#settle(id, request, RequestError.closed(request.type));
    this.#setStatus('closed');
  }

  // -------------------------------------------------------------------------------------------

  #request<T extends RequestType>(
    type: T,
    build: (requestId: string) => ClientMessageOf<T>,
  ): Promise<AnswerOf<T>> {
    if (this.#status === 'closed' || this.#status === 'refused')
      return Promise.reject(RequestError.closed(type));
    // The server let an idle socket go; the person needs it again now.
    if (this.#status === 'idle') {
      this.#setStatus('connecting');
      this.#connect();
    }
    const requestId = `r${this.#nextRequestId++}`;
    const frame = encodeMessage(build(requestId) as ClientMessage);
    return new Promise<AnswerOf<T>>((resolve, reject) => {
      const request: PendingRequest = {
        type,
        frame,
        sentAt: undefined,
        timer: setTimeout(() => {
          this.#settle(requestId, request, RequestError.timeout(type, this.#requestTimeoutMs));
        }, this.#requestTimeoutMs),
        resolve: resolve as (answer: ServerMessage) => void,
        reject,
      };
      this.#pending.set(requestId, request);
      // Without a socket it waits for the next one; the timeout runs all the same.
      if (this.#socketOpen) this.#sendPending(request);
    });
  }

  #sendPending(request: PendingRequest): void {
    request.sentAt = this.#now();
    this.#socket?.send(request.frame);
  }

  #settle(id: string, request: PendingRequest, outcome: ServerMessage | RequestError): void {
    clearTimeout(request.timer);
    this.#pending.delete(id);
    if (outcome instanceof RequestError) request.reject(outcome);
    else request.resolve(outcome);
  }

  #connect(): void {
    this.#connectStartedAt = this.#now();
    let socket: SocketLike | undefined;
    const mine = () => socket !== undefined && this.#socket === socket;
    socket = this.#createSocket(this.#url, {
      open: () => {
        if (mine()) this.#opened();
      },
      message: (frame) => {
        if (mine()) this.#receive(frame);
      },
      close: (code, reason) => {
        if (!mine()) return;
        if (code === CLOSE_CODES.idle) this.#letGo('idle');
        else if (code === CLOSE_CODES.useHttps) {
          this.#refusal = reason || 'open this page over https instead';
          this.#letGo('refused');
        } else this.#dropped();
      },
    });
    this.#socket = socket;
  }

  #opened(): void {
    this.#socketOpen = true;
    const reconnected = this.#openedBefore;
    this.#openedBefore = true;
    this.#setStatus('open');
    this.#ping();
    this.#pingTimer = setInterval(() => this.#ping(), this.#pingIntervalMs);
    for (const request of this.#pending.values())
      if (request.sentAt === undefined) this.#sendPending(request);
    this.emit('open', { reconnected });
  }

  #receive(frame: string): void {
    const parsed = parseServerMessage(frame);
    if (!parsed.ok) {
      console.warn(`signaling: invalid frame dropped (${parsed.code}: ${parsed.message})`);
      return;
    }
    const message = parsed.message;
    const receivedAt = this.#now();
    switch (message.type) {
      case 'welcome':
        // The server says welcome the moment it accepts, so the connect time brackets its stamp.
        this.#attempt = 0;
        this.clock.add({ sentAt: this.#connectStartedAt, receivedAt, serverTime: message.serverTime });
        if (message.protocol !== PROTOCOL_VERSION) {
          console.warn(`signaling: server speaks protocol ${message.protocol}, this app ${PROTOCOL_VERSION}`);
        }
        break;
      case 'pong':
        clearTimeout(this.#pongDeadline);
        this.#pongDeadline = undefined;
        this.clock.add({ sentAt: message.t, receivedAt, serverTime: message.serverTime });
        break;
      case 'joined': {
        const sentAt = message.requestId ? this.#pending.get(message.requestId)?.sentAt : undefined;
        if (sentAt !== undefined) this.clock.add({ sentAt, receivedAt, serverTime: message.serverTime });
        break;
      }
    }
    this.emit('message', message);
    if (message.type === 'joined' || message.type === 'left' || message.type === 'error') {
      const id = message.requestId;
      const request = id === undefined ? undefined : this.#pending.get(id);
      if (id === undefined || !request) return;
      if (message.type === 'error') this.#settle(id, request, RequestError.fromServer(message));
      else if ((message.type === 'left') === (request.type === 'leave-room'))
        this.#settle(id, request, message);
    }
  }

  #ping(): void {
    if (!this.#socket || !this.#socketOpen) return;
    this.#socket.send(encodeMessage({ type: 'ping', t: this.#now() }));
    this.#pongDeadline ??= setTimeout(() => {
      console.warn(`signaling: no pong for ${this.#pongTimeoutMs} ms, reconnecting`);
      this.#socket?.close(CLOSE_CODES.noPong, 'no pong');
      this.#dropped();
    }, this.#pongTimeoutMs);
  }

  #dropped(): void {
    this.#stopTimers();
    this.#socket = undefined;
    this.#socketOpen = false;
    // Answers to what was in flight cannot come on a new connection.
    for (const [id, request] of this.#pending) {
      if (request.sentAt !== undefined) this.#settle(id, request, RequestError.disconnected(request.type));
    }
    if (this.#status === 'closed') return;
    this.#setStatus('reconnecting');
    const delay = backoffDelay(this.#attempt++, this.#backoff, this.#random);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#connect();
    }, delay);
  }

  /** The server closed on purpose: no reconnect loop. `idle` waits for the next request; `refused` ends. */
  #letGo(status: 'idle' | 'refused'): void {
    this.#stopTimers();
    this.#socket = undefined;
    this.#socketOpen = false;
    for (const [id, request] of this.#pending) {
      if (status === 'refused') this.#settle(id, request, RequestError.closed(request.type));
      else if (request.sentAt !== undefined)
        this.#settle(id, request, RequestError.disconnected(request.type));
    }
    this.#setStatus(status);
    // A request that was waiting for a socket (none was sent on this one) gets a new one.
    if (status === 'idle' && this.#pending.size > 0) {
      this.#setStatus('connecting');
      this.#connect();
    }
  }

  #stopTimers(): void {
    clearInterval(this.#pingTimer);
    clearTimeout(this.#pongDeadline);
    this.#pingTimer = undefined;
    this.#pongDeadline = undefined;
  }

  #setStatus(status: ConnectionStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    this.emit('status', status);
  }
}
