import type { AppState } from './JamClient.js';
import { hostOf, isHost } from './roomState.js';

export const CONNECTION_LOST = 'Connection lost - reconnecting...';
export const CANNOT_REACH = "Can't reach the server - trying again...";
export const HOST_AWAY = "The host's connection dropped - waiting for them to come back...";

/**
 * The one-line banner over every page, or null when all is well. Our own connection comes first:
 * while it is down, nothing else we show is current.
 */
export function statusText(state: AppState): string | null {
  if (state.connection === 'refused')
    return `The server will not connect this page: ${state.refusal ?? 'open it over https'}.`;
  if (state.ended || state.connection === 'closed') return null;
  if (state.connection === 'reconnecting') return state.connectedOnce ? CONNECTION_LOST : CANNOT_REACH;
  const room = state.room;
  if (!room) return null;
  if (!state.live) return CONNECTION_LOST;
  if (!isHost(room) && hostOf(room)?.presence === 'reconnecting') return HOST_AWAY;
  return null;
}
