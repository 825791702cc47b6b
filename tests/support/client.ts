import WebSocket from 'ws';
import {
  type ClientMessage,
  encodeMessage,
  parseServerMessage,
  type ServerMessage,
  type ServerMessageOf,
  type ServerMessageType,
} from '../../src/protocol/index.js';

/**
 * A protocol client for integration tests: a real WebSocket to the real server, every frame it
 * receives validated by the shared protocol module, and `next(type)` to wait for a message.
 */
export class TestClient {
  readonly received: ServerMessage[] = [];
  readonly invalid: string[] = [];
  #cursor = 0;
  #waiters: Array<() => void> = [];
  closeCode: number | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const parsed = parseServerMessage(data.toString());
      if (parsed.ok) this.received.push(parsed.message);
      else this.invalid.push(data.toString());
      this.#wake();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.#wake();
    });
  }

  static async connect(baseUrl: string, headers: Record<string, string> = {}): Promise<TestClient> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, { headers });
    const client = new TestClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    await client.next('welcome');
    return client;
  }

  send(message: ClientMessage): void {
    this.ws.send(encodeMessage(message));
  }

  sendRaw(frame: string | Buffer, binary = false): void {
    this.ws.send(frame, { binary });
  }

  /** The next message of this type (skipping others), waiting up to `timeoutMs`. */
  async next<T extends ServerMessageType>(type: T, timeoutMs = 3000): Promise<ServerMessageOf<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#cursor < this.received.length) {
        const m = this.received[this.#cursor++] as ServerMessage;
        if (m.type === type) return m as ServerMessageOf<T>;
      }
      if (this.closeCode !== undefined)
        throw new Error(`connection closed (${this.closeCode}) waiting for ${type}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${type}; got ${JSON.stringify(this.received.slice(-3))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends a request and returns the answer of `type`, failing on an error instead. */
  async request<T extends ServerMessageType>(message: ClientMessage, type: T): Promise<ServerMessageOf<T>> {
    const before = this.received.length;
    this.send(message);
    const answer = await this.next(type).catch((err: unknown) => {
      const error = this.received.slice(before).find((m) => m.type === 'error');
      throw error ? new Error(`server said ${JSON.stringify(error)}`) : err;
    });
    return answer;
  }

  /** Resolves once nothing new arrives for `quietMs`; returns what arrived since the call. */
  async settle(quietMs = 150): Promise<ServerMessage[]> {
    const start = this.received.length;
    let seen = -1;
    while (seen !== this.received.length) {
      seen = this.received.length;
      await new Promise((r) => setTimeout(r, quietMs));
    }
    this.#cursor = this.received.length;
    return this.received.slice(start);
  }

  /** Everything not yet consumed by next(). */
  pending(): ServerMessage[] {
    return this.received.slice(this.#cursor);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }

  /** Drops the TCP connection without a close frame, as a phone losing Wi-Fi would. */
  drop(): void {
    this.ws.terminate();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

/** Creates a room as `name` and returns the host client with its joined message. */
export async function hostRoom(baseUrl: string, name = 'Hana') {
  const host = await TestClient.connect(baseUrl);
  const joined = await host.request({ type: 'create-room', requestId: 'c1', name }, 'joined');
  return { host, joined, code: joined.room.code };
}

export async function joinRoom(baseUrl: string, code: string, name: string) {
  const client = await TestClient.connect(baseUrl);
  const joined = await client.request({ type: 'join-room', requestId: 'j1', code, name }, 'joined');
  return { client, joined };
}
