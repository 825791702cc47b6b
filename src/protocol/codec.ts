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

/**
 * Whether `text` encoded as UTF-8 is longer than `limit` bytes, without allocating: a UTF-16 code
 * unit is 1-3 UTF-8 bytes (a surrogate pair, 2 units, is 4 bytes), so short frames need no counting.
 */
export function utf8LongerThan(text: string, limit: number): boolean {
  if (text.length * 3 <= limit) return false;
  if (text.length > limit) return true;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    if (bytes > limit) return true;
  }
  return false;
}

function parseWith<T>(schema: z.ZodType<T>, frame: string, knownTypes?: readonly string[]): Parsed<T> {
  if (utf8LongerThan(frame, LIMITS.maxMessageBytes)) {
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
    return {
      ok: false,
      code: 'unknown-type',
      message: `unknown type "${record.type.slice(0, 40)}"`,
      requestId,
    };
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
