import { type CloseReason, describeError, ERROR_CODES, type ErrorCode } from '../../protocol/index.js';
import { RequestError } from '../net/RequestError.js';

/**
 * Why a jam is over for this person: how the server closed it, or what a `resume` found after a
 * reload or a long drop (`gone`: no such room any more; `expired`: the room is there, our place not).
 */
export type EndReason = CloseReason | 'gone' | 'expired';

/** The sentence the "jam ended" screen shows. */
export function describeEnd(reason: EndReason, wasHost: boolean): string {
  switch (reason) {
    case 'host-closed':
      return wasHost ? 'You ended the jam.' : 'The host ended the jam.';
    case 'host-left':
      return 'The host left, so the jam has ended.';
    case 'host-timeout':
      return wasHost
        ? 'You were away too long, so the jam has ended.'
        : "The host didn't come back, so the jam has ended.";
    case 'kicked':
      return 'The host removed you from the jam.';
    case 'replaced':
      return 'You opened this jam in another tab.';
    case 'server-shutdown':
      return 'The server is shutting down, so the jam has ended.';
    case 'idle':
      return 'Nobody joined and nothing happened for hours, so the jam has ended.';
    case 'gone':
      return 'This jam has ended. It may have closed while you were away.';
    case 'expired':
      return 'Your place in this jam ran out while you were away. Join again with the code.';
  }
}

/** "Try again in 12 seconds." */
export function retryWords(retryAfterMs: number): string {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return `Try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;
}

function isErrorCode(code: string): code is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code);
}

/** Plain words for a failed request, or for a server error code with its optional wait. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof RequestError)) return 'Something went wrong. Please try again.';
  switch (error.code) {
    case 'timeout':
      return 'The server did not answer in time. Check your connection and try again.';
    case 'disconnected':
      return 'The connection to the server dropped. Try again in a moment.';
    case 'closed':
      return 'The app was closed. Reload the page to start again.';
  }
  if (!isErrorCode(error.code)) return 'Something went wrong. Please try again.';
  const words = describeError(error.code);
  return error.retryAfterMs !== undefined && error.retryAfterMs > 0
    ? `${words} ${retryWords(error.retryAfterMs)}`
    : words;
}
