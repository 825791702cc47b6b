/**
 * Turning frames into messages and back, at every boundary. A parse never throws: it returns the
 * message or the error code the other side should hear.
 */
import type { z } from 'zod';
import type { ErrorCode } from './errors.js';
import { LIMITS } from './limits.js';
import { CLIENT_MESSAGE_TYPES, ClientMessage, ServerMessage } from './messages.js';

export type Parsed<T> =
  | { ok: true; message: T }
  | { ok: false; code: ErrorCode; message: string; requestId?: string | undefined };

const encoder = new TextEncoder();

/** Byte length of a string as UTF-8, without allocating for pure-ASCII frames. */
export function utf8Length(text: string): number {
  // A UTF-16 code unit is at most 3 UTF-8 bytes, so short frames need no counting.
  if (text.length * 3 <= LIMITS.maxMessageBytes) return text.length;
  return encoder.encode(text).length;
}

function parseWith<T>(schema: z.ZodType<T>, frame: string, knownTypes?: readonly string[]): Parsed<T> {
  if (utf8Length(frame) > LIMITS.maxMessageBytes) {
    return { ok: false, code: 'message-too-large', message: `frame over ${LIMITS.maxMessageBytes} bytes` };
  }
  let data: unknown;
  try {
    data = JSON.parse(frame);
  } catch {
    return { ok: false, code: 'bad-message', message: 'frame is not JSON' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, code: 'bad-message', message: 'frame is not a JSON object' };
  }
  const record = data as Record<string, unknown>;
  const requestId =
    typeof record.requestId === 'string' &&
    record.requestId.length >= 1 &&
    record.requestId.length <= LIMITS.requestIdMaxLength
      ? record.requestId
      : undefined;
  if (typeof record.type !== 'string') {
    return { ok: false, code: 'bad-message', message: 'missing "type"', requestId };
  }
  if (knownTypes && !knownTypes.includes(record.type)) {
    return { ok: false, code: 'unknown-type', message: `unknown type "${record.type.slice(0, 40)}"`, requestId };
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join('.') || 'message';
    return { ok: false, code: 'bad-message', message: `${where}: ${issue?.message ?? 'invalid'}`, requestId };
  }
  return { ok: true, message: result.data };
}

export function parseClientMessage(frame: string): Parsed<ClientMessage> {
  return parseWith(ClientMessage, frame, CLIENT_MESSAGE_TYPES);
}

export function parseServerMessage(frame: string): Parsed<ServerMessage> {
  return parseWith(ServerMessage, frame);
}

export function encodeMessage(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message);
}
