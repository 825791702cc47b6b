import {
  describeError,
  formatRoomCode,
  LIMITS,
  normalizeName,
  normalizeRoomCode,
  type ServerMessage,
  type ServerMessageOf,
} from '../../protocol/index.js';
import { RequestError } from '../net/RequestError.js';
import type { ConnectionStatus, SignalingClient } from '../net/SignalingClient.js';
import { TypedEmitter } from '../net/TypedEmitter.js';
import { describeFailure, type EndReason } from '../text/words.js';
import type { PlaceStore, StoredPlace } from './PlaceStore.js';
import { isHost, type RoomState, reduceRoom, selfOf } from './roomState.js';
import { joinLink, joinPath, parseRoute } from './route.js';

/** Everything the UI draws from. Replaced (never mutated) on every change. */
export interface AppState {
  connection: ConnectionStatus;
  /** The server's words when it refused this page (`connection` is `refused`), else null. */
  refusal: string | null;
  /** Some socket has opened since the page loaded: a drop now is "connection lost", not "can't reach". */
  connectedOnce: boolean;
  /** The jam we are in, or were in when `ended` is set. */
  room: RoomState | null;
  /** `room` is backed by the current connection (false from a drop until the resume is answered). */
  live: boolean;
  /** A stored place is being resumed after a reload; there is no room to draw yet. */
  restoring: boolean;
  /** The jam is over for us, and why; the UI shows the "ended" screen. */
  ended: { reason: EndReason; wasHost: boolean; code: string } | null;
  /** A create or join the person asked for is waiting for its answer. */
  pending: 'create' | 'join' | null;
  /** Plain words for the last failure, shown on whichever page is up. */
  error: string | null;
  /** A chat line the server refused (e.g. rate-limited), for the chat box to offer back. */
  rejectedChat: { text: string; seq: number } | null;
  /** What the landing page's code field starts with. */
  landingCode: string;
  /** The remembered display name. */
  name: string;
}

export interface JamClientEvents {
  /** The state changed; the payload is the new state. */
  change: AppState;
}

export interface JamClientOptions {
  signaling: SignalingClient;
  store: PlaceStore;
  /** location.pathname at page load. */
  initialPath: string;
  /** location.origin, for the join link. */
  origin: string;
  /** Puts a path in the address bar without a reload (history.replaceState in the browser). */
  navigate(path: string): void;
}

const OFFLINE = "You're offline right now. Wait for the connection to come back, then try again.";
const BAD_CODE = "That code doesn't look right. A jam code has 6 letters and digits, like K7Q 4MZ.";
/** When the server is busy or slow to answer a resume, try again after this long. */
const RESUME_RETRY_MS = 1000;

/**
 * The app's one piece of logic with a lifecycle: asks the server to create, join, resume and leave
 * jams, folds what the server says into RoomState, keeps the place across reloads and reconnects, and
 * keeps the address bar on the jam's join link. The UI reads `state` and calls the methods.
 */
export class JamClient extends TypedEmitter<JamClientEvents> {
  readonly #signaling: SignalingClient;
  readonly #store: PlaceStore;
  readonly #origin: string;
  readonly #navigate: (path: string) => void;
  readonly #unsubscribe: Array<() => void>;
  #state: AppState;
  /** Our place in a jam, as stored for reloads; null when we are in none. */
  #place: StoredPlace | null;
  /** We asked to be in a room; a `joined` arriving after we left (a late resume answer) is ignored. */
  #wantRoom: boolean;
  #resuming = false;
  #resumeRetry: ReturnType<typeof setTimeout> | undefined;
  #nextId = 1;
  /** Recent chat lines by request id, to give one back if the server refuses it. */
  readonly #sentChats = new Map<string, string>();
  #rejectedSeq = 0;
  #closed = false;

  constructor(options: JamClientOptions) {
    super();
    this.#signaling = options.signaling;
    this.#store = options.store;
    this.#origin = options.origin;
    this.#navigate = options.navigate;
    const route = parseRoute(options.initialPath);
    const stored = this.#store.loadPlace();
    // A link to another jam wins over the place this tab had: the person chose to go there.
    this.#place = stored && (route.code === null || route.code === stored.code) ? stored : null;
    if (stored && !this.#place) this.#store.clearPlace();
    this.#wantRoom = this.#place !== null;
    this.#state = {
      connection: this.#signaling.status,
      refusal: this.#signaling.refusal ?? null,
      connectedOnce: this.#signaling.status === 'open',
      room: null,
      live: false,
      restoring: this.#place !== null,
      ended: null,
      pending: null,
      error: null,
      rejectedChat: null,
      landingCode: route.codeText,
      name: this.#place?.name ?? this.#store.loadName(),
    };
    this.#unsubscribe = [
      this.#signaling.on('status', (status) => this.#onStatus(status)),
      this.#signaling.on('open', () => void this.#resume()),
      this.#signaling.on('message', (message) => this.#onMessage(message)),
    ];
    if (this.#signaling.status === 'open') void this.#resume();
  }

  get state(): AppState {
    return this.#state;
  }

  /** The server's clock now (for the session timer). */
  serverNow(): number {
    return this.#signaling.serverNow();
  }

  /** A server timestamp on this device's clock (for chat times). */
  toLocalTime(serverTime: number): number {
    return this.#signaling.clock.toLocal(serverTime);
  }

  joinLink(code: string): string {
    return joinLink(this.#origin, code);
  }

  /** Creates a jam with this person as its host. */
  async host(nameInput: string): Promise<void> {
    if (this.#state.pending || this.#state.room) return;
    const name = normalizeName(nameInput);
    if (!name) return this.#update({ error: describeError('name-invalid') });
    await this.#enter('create', name, () => this.#signaling.createRoom(name));
  }

  /** Joins the jam with this code (as typed: spaces, dashes and look-alike letters are fine). */
  async join(codeInput: string, nameInput: string): Promise<void> {
    if (this.#state.pending || this.#state.room) return;
    const name = normalizeName(nameInput);
    if (!name) return this.#update({ error: describeError('name-invalid') });
    const code = normalizeRoomCode(codeInput);
    if (!code) return this.#update({ error: BAD_CODE, name });
    this.#update({ landingCode: formatRoomCode(code) });
    await this.#enter('join', name, () => this.#signaling.joinRoom(code, name));
  }

  /**
   * Leaves the jam (for the host this ends it for everyone) or stops trying to get back in. Takes
   * effect here at once; the server hears it if the connection is up, and otherwise lets the place
   * lapse after its grace period.
   */
  leave(): void {
    const inRoom = (this.#state.room !== null && !this.#state.room.ended) || this.#state.restoring;
    if (inRoom && this.#signaling.status === 'open') this.#signaling.leaveRoom().catch(() => {});
    this.#forgetPlace();
    this.#navigate('/');
    this.#update({
      room: null,
      live: false,
      restoring: false,
      ended: null,
      error: null,
      rejectedChat: null,
      landingCode: '',
    });
  }

  /** Host only: ends the jam for everyone. The server answers with `room-closed`. */
  endJam(): void {
    const room = this.#state.room;
    if (!room || room.ended || !isHost(room)) return;
    if (!this.#signaling.send({ type: 'close-room', requestId: this.#id('x') }))
      this.#update({ error: OFFLINE });
  }

  /** Host only: removes a listener. */
  kick(peerId: string): void {
    const room = this.#state.room;
    if (!room || room.ended || !isHost(room)) return;
    if (!this.#signaling.send({ type: 'kick', requestId: this.#id('k'), peerId }))
      this.#update({ error: OFFLINE });
  }

  /** Sends a chat line; false when it could not go out (the caller keeps the draft). */
  sendChat(text: string): boolean {
    const room = this.#state.room;
    const trimmed = text.trim();
    if (!room || room.ended || trimmed === '') return false;
    if ([...trimmed].length > LIMITS.chatMaxLength) {
      this.#update({ error: `That message is too long: ${LIMITS.chatMaxLength} characters at most.` });
      return false;
    }
    const requestId = this.#id('c');
    if (!this.#signaling.send({ type: 'chat', requestId, text: trimmed })) {
      this.#update({ error: OFFLINE });
      return false;
    }
    this.#sentChats.set(requestId, trimmed);
    if (this.#sentChats.size > 20) this.#sentChats.delete(this.#sentChats.keys().next().value as string);
    if (this.#state.error) this.#update({ error: null });
    return true;
  }

  /** From the "ended" screen back to the start page (with the code filled in if joining again makes sense). */
  backToStart(): void {
    const ended = this.#state.ended;
    const rejoin = ended?.reason === 'expired' ? ended.code : null;
    this.#navigate(rejoin ? joinPath(rejoin) : '/');
    this.#update({
      room: null,
      live: false,
      ended: null,
      error: null,
      rejectedChat: null,
      restoring: false,
      landingCode: rejoin ? formatRoomCode(rejoin) : '',
    });
  }

  dismissError(): void {
    if (this.#state.error) this.#update({ error: null });
  }

  /** Stops listening and closes the connection; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#resumeRetry);
    for (const off of this.#unsubscribe) off();
    this.#signaling.close();
    this.removeAllListeners();
  }

  // -------------------------------------------------------------------------------------------

  async #enter(
    pending: 'create' | 'join',
    name: string,
    request: () => Promise<ServerMessageOf<'joined'>>,
  ): Promise<void> {
    this.#store.saveName(name);
    this.#wantRoom = true;
    this.#update({ pending, error: null, name });
    try {
      await request();
      // The `joined` itself went through #onMessage, which drew the room.
    } catch (err) {
      this.#wantRoom = this.#place !== null;
      this.#update({ pending: null, error: describeFailure(err) });
    }
  }

  #onStatus(status: ConnectionStatus): void {
    const open = status === 'open';
    this.#update({
      connection: status,
      refusal: this.#signaling.refusal ?? null,
      connectedOnce: this.#state.connectedOnce || open,
      // The room on screen is stale from the drop until a resume answers.
      live: open && this.#state.live,
    });
  }

  #onMessage(message: ServerMessage): void {
    switch (message.type) {
      case 'joined':
        this.#onJoined(message);
        return;
      case 'room-closed':
        this.#onRoomClosed(message);
        return;
      case 'error':
        this.#onError(message);
        return;
      case 'member-joined':
      case 'member-updated':
      case 'member-left':
      case 'ice-servers':
      case 'chat': {
        const room = reduceRoom(this.#state.room, message);
        if (room !== this.#state.room) this.#update({ room });
        return;
      }
    }
  }

  #onJoined(message: ServerMessageOf<'joined'>): void {
    if (!this.#wantRoom) return;
    const room = reduceRoom(null, message) as RoomState;
    const name = selfOf(room)?.name ?? this.#state.name;
    this.#place = { code: room.room.code, peerId: room.self.peerId, token: room.self.token, name };
    this.#store.savePlace(this.#place);
    this.#store.saveName(name);
    this.#navigate(joinPath(room.room.code));
    this.#update({
      room,
      live: true,
      restoring: false,
      ended: null,
      pending: null,
      // After a resume the same chat box is still on screen; a fresh join starts clean.
      error: message.resumed ? this.#state.error : null,
      rejectedChat: message.resumed ? this.#state.rejectedChat : null,
      name,
    });
  }

  #onRoomClosed(message: ServerMessageOf<'room-closed'>): void {
    const current = this.#state.room;
    if (!current || current.ended || current.room.code !== message.code) return;
    this.#forgetPlace();
    this.#update({
      room: reduceRoom(current, message),
      live: false,
      error: null,
      ended: { reason: message.reason, wasHost: isHost(current), code: current.room.code },
    });
  }

  /** Errors that answer no tracked request: chat, kick and close-room, or the flood limiter. */
  #onError(message: ServerMessageOf<'error'>): void {
    const id = message.requestId;
    // `r...` ids belong to SignalingClient's requests, whose promises carry the error.
    if (id?.startsWith('r')) return;
    if (!this.#state.room || this.#state.room.ended) return;
    const chatText = id === undefined ? undefined : this.#sentChats.get(id);
    this.#update({
      error: describeFailure(RequestError.fromServer(message)),
      rejectedChat:
        chatText === undefined ? this.#state.rejectedChat : { text: chatText, seq: ++this.#rejectedSeq },
    });
  }

  /** Takes our place back: after a reload, and after every reconnect while in a jam. */
  async #resume(): Promise<void> {
    const place = this.#place;
    if (!place || this.#resuming) return;
    clearTimeout(this.#resumeRetry);
    this.#resuming = true;
    this.#wantRoom = true;
    try {
      await this.#signaling.resume(place);
    } catch (err) {
      if (this.#place === place) this.#resumeFailed(place, err);
    } finally {
      this.#resuming = false;
    }
  }

  #resumeFailed(place: StoredPlace, err: unknown): void {
    const code = err instanceof RequestError ? err.code : 'internal-error';
    switch (code) {
      case 'disconnected':
      case 'closed':
        // The next socket's `open` tries again.
        return;
      case 'timeout':
      case 'internal-error':
      case 'rate-limited':
      case 'too-many-attempts':
      case 'server-full': {
        const wait = err instanceof RequestError && err.retryAfterMs ? err.retryAfterMs : RESUME_RETRY_MS;
        this.#resumeRetry = setTimeout(() => void this.#resume(), wait);
        return;
      }
      default: {
        // room-not-found, invalid-token (and anything that says this place cannot come back).
        const room = this.#state.room;
        this.#forgetPlace();
        this.#update({
          live: false,
          restoring: false,
          ended: {
            reason: code === 'room-not-found' ? 'gone' : 'expired',
            wasHost: room ? isHost(room) : false,
            code: place.code,
          },
        });
      }
    }
  }

  #forgetPlace(): void {
    this.#place = null;
    this.#wantRoom = false;
    clearTimeout(this.#resumeRetry);
    this.#resumeRetry = undefined;
    this.#store.clearPlace();
  }

  #id(prefix: string): string {
    return `${prefix}${this.#nextId++}`;
  }

  #update(patch: Partial<AppState>): void {
    if (this.#closed) return;
    this.#state = { ...this.#state, ...patch };
    this.emit('change', this.#state);
  }
}
