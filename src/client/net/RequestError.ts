import type { ErrorCode, ServerMessageOf } from '../../protocol/index.js';

/**
 * Failures that happen on this side: no answer in time, the connection dropped with the request in
 * flight, or the client was closed.
 */
export type LocalErrorCode = 'timeout' | 'disconnected' | 'closed';

/** A request (create, join, resume, leave) that did not get its answer, with a code to act on. */
export class RequestError extends Error {
  override readonly name = 'RequestError';

  constructor(
    readonly code: ErrorCode | LocalErrorCode,
    message: string,
    /** From the server, for `too-many-attempts` and `rate-limited`. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** The server answered with an error. */
  static fromServer(error: ServerMessageOf<'error'>): RequestError {
    return new RequestError(error.code, error.message, error.retryAfterMs);
  }

  static timeout(type: string, ms: number): RequestError {
    return new RequestError('timeout', `no answer to "${type}" within ${ms} ms`);
  }

  static disconnected(type: string): RequestError {
    return new RequestError('disconnected', `the connection dropped before "${type}" was answered`);
  }

  static closed(type: string): RequestError {
    return new RequestError('closed', `the client was closed before "${type}" was answered`);
  }
}
