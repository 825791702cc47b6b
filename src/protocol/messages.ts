/**
 * The signaling protocol: every message between a browser (or any client) and the server, as zod
 * schemas in two discriminated unions, one per direction. Both ends validate what they receive.
 * docs/protocol.md describes the sequences; this file is the source of truth for the shapes.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors.js';
import { LIMITS } from './limits.js';

export const PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// Shared pieces

const requestId = z.string().min(1).max(LIMITS.requestIdMaxLength).optional();
export const PeerId = z.string().min(1).max(LIMITS.peerIdMaxLength);
/** What the user typed; the server normalises it (normalizeRoomCode) and answers room-not-found. */
const CodeInput = z.string().max(32);
/** What the user typed; the server normalises it (normalizeName) and answers name-invalid. */
const NameInput = z.string().max(LIMITS.nameMaxLength * 4);
const Token = z.string().min(1).max(LIMITS.tokenMaxLength);

export const Role = z.enum(['host', 'listener']);
export type Role = z.infer<typeof Role>;

/** `online`: its socket is up. `reconnecting`: the socket dropped and the member's grace period runs. */
export const Presence = z.enum(['online', 'reconnecting']);
export type Presence = z.infer<typeof Presence>;

export const Member = z.object({
  peerId: PeerId,
  name: z.string(),
  role: Role,
  presence: Presence,
  /** Server clock, ms since the epoch. */
  joinedAt: z.number(),
});
export type Member = z.infer<typeof Member>;

export const RoomInfo = z.object({
  code: z.string(),
  hostId: PeerId,
  /** Server clock, ms since the epoch: the start of the session the playback bar counts from. */
  createdAt: z.number(),
  maxMembers: z.number().int().positive(),
});
export type RoomInfo = z.infer<typeof RoomInfo>;

export const ChatMessage = z.object({
  id: z.number().int().nonnegative(),
  from: PeerId,
  name: z.string(),
  text: z.string(),
  at: z.number(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/** The shape of RTCIceServer, with credentials minted for this client only. */
export const IceServer = z.object({
  urls: z.array(z.string()),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof IceServer>;

/** RTCSessionDescriptionInit and RTCIceCandidateInit, bounded. `candidate: null` ends gathering. */
/**
 * `link` names one peer connection (random, chosen by the host): a payload with a new `link` means
 * the host started a new connection (it reloaded), not a renegotiation of the current one.
 */
const LinkId = z.string().max(32).optional();
export const SignalPayload = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('description'),
    link: LinkId,
    description: z.object({
      type: z.enum(['offer', 'answer', 'pranswer', 'rollback']),
      sdp: z.string().max(LIMITS.sdpMaxLength),
    }),
  }),
  z.object({
    kind: z.literal('candidate'),
    link: LinkId,
    candidate: z
      .object({
        candidate: z.string().max(LIMITS.candidateMaxLength),
        sdpMid: z.string().max(64).nullable().optional(),
        sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
        usernameFragment: z.string().max(256).nullable().optional(),
      })
      .nullable(),
  }),
]);
export type SignalPayload = z.infer<typeof SignalPayload>;

// ---------------------------------------------------------------------------------------------
// Client -> server

export const ClientMessage = z.discriminatedUnion('type', [
  /** Open a new room and become its host. Answered by `joined` (with `self.role = 'host'`). */
  z.object({ type: z.literal('create-room'), requestId, name: NameInput }),
  /** Join a room by code. Answered by `joined`; the room gets `member-joined`. */
  z.object({ type: z.literal('join-room'), requestId, code: CodeInput, name: NameInput }),
  /**
   * Take one's place back after a reload or a dropped connection, within the grace period.
   * The host's token is its host token: resuming with it reclaims the room.
   */
  z.object({ type: z.literal('resume'), requestId, code: CodeInput, peerId: PeerId, token: Token }),
  /** Leave for good. The host leaving closes the room. Answered by `left`. */
  z.object({ type: z.literal('leave-room'), requestId }),
  /** Host only: remove a member. */
  z.object({ type: z.literal('kick'), requestId, peerId: PeerId }),
  /** Host only: end the jam for everyone. */
  z.object({ type: z.literal('close-room'), requestId }),
  z.object({ type: z.literal('chat'), requestId, text: z.string().max(LIMITS.chatMaxLength * 4) }),
  /** WebRTC signaling, relayed to `to`; only between the host and a listener of the same room. */
  z.object({ type: z.literal('signal'), to: PeerId, payload: SignalPayload }),
  /** Liveness and round-trip probe; browsers cannot see WebSocket ping frames. */
  z.object({ type: z.literal('ping'), t: z.number() }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;
export type ClientMessageType = ClientMessage['type'];
export const CLIENT_MESSAGE_TYPES: readonly ClientMessageType[] = ClientMessage.options.map(
  (o) => o.shape.type.value,
);

// ---------------------------------------------------------------------------------------------
// Server -> client

export const LeaveReason = z.enum(['left', 'kicked', 'timeout']);
export type LeaveReason = z.infer<typeof LeaveReason>;

/**
 * host-closed: the host ended the jam. host-left: the host left for good. host-timeout: the host's
 * connection dropped and it did not come back within the grace period. kicked: the host removed you.
 * replaced: you resumed your place from another tab or connection. server-shutdown: the server stops.
 * idle: nobody but the host was there and nothing happened for ROOM_IDLE_MS (6 h by default).
 */
export const CloseReason = z.enum([
  'host-closed',
  'host-left',
  'host-timeout',
  'kicked',
  'replaced',
  'server-shutdown',
  'idle',
]);
export type CloseReason = z.infer<typeof CloseReason>;

export const ServerMessage = z.discriminatedUnion('type', [
  /** First message on every connection. */
  z.object({
    type: z.literal('welcome'),
    protocol: z.number().int(),
    serverTime: z.number(),
    /**
     * The server's public https address (an https PUBLIC_URL), when it has one: a page opened over
     * plain http, which the browser gives no audio, links there.
     */
    secureUrl: z.string().startsWith('https://').max(2048).optional(),
  }),
  /** You are in the room: everything needed to draw it. Sent for create, join and resume. */
  z.object({
    type: z.literal('joined'),
    requestId,
    room: RoomInfo,
    self: z.object({
      peerId: PeerId,
      role: Role,
      /** Keep it (e.g. in sessionStorage) to `resume` after a reload. For the host: the host token. */
      token: Token,
    }),
    members: z.array(Member),
    chat: z.array(ChatMessage),
    iceServers: z.array(IceServer),
    serverTime: z.number(),
    /** True when this was a `resume` of an existing place. */
    resumed: z.boolean(),
  }),
  /**
   * Fresh ICE servers for you: new TURN credentials, sent before the ones you hold expire (when
   * they have a quarter of TURN_TTL left). Use them for the next ICE restart or connection.
   */
  z.object({ type: z.literal('ice-servers'), iceServers: z.array(IceServer) }),
  z.object({ type: z.literal('member-joined'), member: Member }),
  /** A member's presence changed (e.g. the host's connection dropped: presence `reconnecting`). */
  z.object({ type: z.literal('member-updated'), member: Member }),
  z.object({ type: z.literal('member-left'), peerId: PeerId, reason: LeaveReason }),
  z.object({ type: z.literal('chat'), message: ChatMessage }),
  z.object({ type: z.literal('signal'), from: PeerId, payload: SignalPayload }),
  /** You are no longer in the room, and why. The connection stays open for a new room. */
  z.object({ type: z.literal('room-closed'), code: z.string(), reason: CloseReason }),
  /** Answer to `leave-room`. */
  z.object({ type: z.literal('left'), requestId }),
  z.object({ type: z.literal('pong'), t: z.number(), serverTime: z.number() }),
  z.object({
    type: z.literal('error'),
    code: z.enum(ERROR_CODES),
    message: z.string(),
    requestId,
    /** For `too-many-attempts` and `rate-limited`: when trying again makes sense. */
    retryAfterMs: z.number().optional(),
  }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
export type ServerMessageType = ServerMessage['type'];
export type ServerMessageOf<T extends ServerMessageType> = Extract<ServerMessage, { type: T }>;
export type ClientMessageOf<T extends ClientMessageType> = Extract<ClientMessage, { type: T }>;
