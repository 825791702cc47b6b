import type {
  ChatMessage,
  CloseReason,
  IceServer,
  Member,
  Role,
  RoomInfo,
  ServerMessage,
} from '../../protocol/index.js';

/** Everything needed to draw a jam, built only from what the server said. */
export interface RoomState {
  room: RoomInfo;
  self: { peerId: string; role: Role; token: string };
  members: Member[];
  chat: ChatMessage[];
  /** For the audio connection: the newest the server sent (it refreshes TURN credentials before they expire). */
  iceServers: IceServer[];
  /** Set once the server closed the room for us; a closed room takes no more updates. */
  ended?: CloseReason;
}

/**
 * Chat lines kept in the page. The server replays its last LIMITS.chatHistory on (re)join; a long
 * session keeps a little more than that so scrolling up still works, but not without bound.
 */
export const CHAT_KEEP = 200;

/**
 * The room as it is after `message`. Pure: the same state and message always give the same result,
 * and a message that changes nothing returns the very same object (so the UI skips a redraw).
 */
export function reduceRoom(state: RoomState | null, message: ServerMessage): RoomState | null {
  if (message.type === 'joined') {
    // A fresh picture, whether this is a create, a join or a resume after a drop.
    return {
      room: message.room,
      self: message.self,
      members: message.members,
      chat: message.chat.slice(-CHAT_KEEP),
      iceServers: message.iceServers,
    };
  }
  if (!state || state.ended) return state;
  switch (message.type) {
    case 'member-joined':
    case 'member-updated':
      return { ...state, members: upsert(state.members, message.member) };
    case 'member-left':
      if (!state.members.some((m) => m.peerId === message.peerId)) return state;
      return { ...state, members: state.members.filter((m) => m.peerId !== message.peerId) };
    case 'chat':
      if (state.chat.some((c) => c.id === message.message.id)) return state;
      return { ...state, chat: [...state.chat, message.message].slice(-CHAT_KEEP) };
    case 'ice-servers':
      return { ...state, iceServers: message.iceServers };
    case 'room-closed':
      if (message.code !== state.room.code) return state;
      return { ...state, ended: message.reason };
    default:
      return state;
  }
}

function upsert(members: Member[], member: Member): Member[] {
  const at = members.findIndex((m) => m.peerId === member.peerId);
  if (at === -1) return [...members, member];
  const next = [...members];
  next[at] = member;
  return next;
}

/** Host first, then in the order people arrived. */
export function membersInOrder(state: RoomState): Member[] {
  return [...state.members].sort((a, b) => {
    if (a.role !== b.role) return a.role === 'host' ? -1 : 1;
    return a.joinedAt - b.joinedAt;
  });
}

export function hostOf(state: RoomState): Member | undefined {
  return state.members.find((m) => m.peerId === state.room.hostId);
}

export function selfOf(state: RoomState): Member | undefined {
  return state.members.find((m) => m.peerId === state.self.peerId);
}

export function isHost(state: RoomState): boolean {
  return state.self.role === 'host';
}
