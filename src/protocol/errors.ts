/**
 * Error codes the server sends as `{type: 'error', code, message, requestId?}`. Clients act on the
 * code; `message` is for logs and developers. The UI turns codes into words with `describeError`.
 */
export const ERROR_CODES = [
  /** The frame was not JSON, not an object, or did not match the message's schema. */
  'bad-message',
  /** The `type` is not one this server knows. */
  'unknown-type',
  /** The frame was larger than LIMITS.maxMessageBytes. */
  'message-too-large',
  /** Too many messages from this connection (or chat lines from this member); slow down. */
  'rate-limited',
  /** Too many wrong room codes from this address; wait `retryAfterMs`. */
  'too-many-attempts',
  /** No open room has this code. */
  'room-not-found',
  /** The room has as many members as it may have. */
  'room-full',
  /** The server holds as many rooms as it may. */
  'server-full',
  /** Someone in the room already has this name (compared without case). */
  'name-taken',
  /** The name is empty after trimming, or too long. */
  'name-invalid',
  /** The action needs a room and this connection is in none. */
  'not-in-room',
  /** This connection is already in a room; leave it first. */
  'already-in-room',
  /** Only the host may do this. */
  'not-host',
  /** The addressed peer is not in this room (or signaling between two listeners). */
  'peer-not-found',
  /** The resume token does not match any member of the room (or the member's grace ran out). */
  'invalid-token',
  /** Something failed on the server; the connection stays usable. */
  'internal-error',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Plain words for a person, one per code. */
export function describeError(code: ErrorCode): string {
  switch (code) {
    case 'bad-message':
    case 'unknown-type':
    case 'message-too-large':
    case 'internal-error':
      return 'Something went wrong talking to the server. Please try again.';
    case 'rate-limited':
      return 'Slow down a little - too many messages in a short time.';
    case 'too-many-attempts':
      return 'Too many wrong room codes. Wait a moment, then check the code and try again.';
    case 'room-not-found':
      return 'There is no jam with that code. Check the code - it may also have ended.';
    case 'room-full':
      return 'This jam is full.';
    case 'server-full':
      return 'The server is busy right now. Try again in a few minutes.';
    case 'name-taken':
      return 'Someone in this jam already uses that name. Pick another one.';
    case 'name-invalid':
      return 'Please enter a name (up to 32 characters).';
    case 'not-in-room':
      return 'You are not in a jam.';
    case 'already-in-room':
      return 'You are already in a jam.';
    case 'not-host':
      return 'Only the host can do that.';
    case 'peer-not-found':
      return 'That person is no longer in the jam.';
    case 'invalid-token':
      return 'Your place in the jam has expired. Join again with the code.';
  }
}
