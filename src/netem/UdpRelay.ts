import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { seededRandom } from '../common/seededRandom.js';
import { Impairment, type ImpairmentConfig, type ImpairmentCounters } from './Impairment.js';

export interface UdpRelayOptions {
  /** Where datagrams from clients go (e.g. a TURN server). */
  target: { host: string; port: number };
  /** Address the relay listens on. Default 127.0.0.1. */
  listenHost?: string;
  /** Port the relay listens on; 0 (default) picks a free one. */
  listenPort?: number;
  /** Client -> target. */
  up?: ImpairmentConfig;
  /** Target -> client. */
  down?: ImpairmentConfig;
  /** Seed for the impairments' randomness (a given seed replays the same losses). Default random. */
  seed?: number;
  /** A client silent this long loses its mapping (ms). Default 60 000. */
  idleMs?: number;
}

interface Client {
  address: string;
  port: number;
  socket: Socket;
  lastSeen: number;
}

/**
 * A user-space netem: a UDP relay that impairs what it carries. Clients send to the relay's port;
 * each client gets its own socket towards the target (as a NAT would), and the target's answers
 * come back the same way. Both directions go through their own `Impairment` (one per direction,
 * shared by all clients, like one link).
 *
 * Put it in front of a TURN server and give a browser `turn:127.0.0.1:<relay port>` with
 * `iceTransportPolicy: 'relay'`: all of that browser's WebRTC traffic then crosses the impairment.
 */
export class UdpRelay {
  readonly up: Impairment;
  readonly down: Impairment;
  readonly #front: Socket;
  readonly #clients = new Map<string, Client>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #sweep: ReturnType<typeof setInterval>;
  #closed = false;

  private constructor(
    readonly options: UdpRelayOptions,
    front: Socket,
  ) {
    this.#front = front;
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    this.up = new Impairment(options.up, seededRandom(seed));
    this.down = new Impairment(options.down, seededRandom(seed + 1));
    front.on('message', (msg, from) => this.#fromClient(msg, from.address, from.port));
    const idle = options.idleMs ?? 60_000;
    this.#sweep = setInterval(
      () => {
        const now = performance.now();
        for (const [key, c] of this.#clients) {
          if (now - c.lastSeen > idle) {
            c.socket.close();
            this.#clients.delete(key);
          }
        }
      },
      Math.min(idle, 10_000),
    );
    this.#sweep.unref();
  }

  static async start(options: UdpRelayOptions): Promise<UdpRelay> {
    const front = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      front.once('error', reject);
      front.bind(options.listenPort ?? 0, options.listenHost ?? '127.0.0.1', () => {
        front.off('error', reject);
        resolve();
      });
    });
    return new UdpRelay(options, front);
  }

  get port(): number {
    return this.#front.address().port;
  }

  get counters(): { up: ImpairmentCounters; down: ImpairmentCounters; clients: number } {
    return { up: { ...this.up.counters }, down: { ...this.down.counters }, clients: this.#clients.size };
  }

  /**
   * Forgets every client's mapping, as a NAT that restarted or a phone that moved to another network:
   * each client's next datagram leaves from a new port, and the target (a TURN server) no longer
   * knows whose it is. What the target sends to the old ports is lost.
   */
  rebind(): void {
    for (const c of this.#clients.values()) c.socket.close();
    this.#clients.clear();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweep);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const c of this.#clients.values()) c.socket.close();
    this.#clients.clear();
    await new Promise<void>((resolve) => this.#front.close(() => resolve()));
  }

  #fromClient(msg: Buffer, address: string, port: number): void {
    const key = `${address}:${port}`;
    let client = this.#clients.get(key);
    if (!client) {
      const socket = createSocket('udp4');
      socket.bind(0, this.options.listenHost ?? '127.0.0.1');
      const c: Client = { address, port, socket, lastSeen: 0 };
      socket.on('message', (answer) => {
        this.#later(this.down, answer, () => {
          if (!this.#closed && this.#clients.get(key) === c) this.#front.send(answer, c.port, c.address);
        });
      });
      socket.on('error', () => {});
      this.#clients.set(key, c);
      client = c;
    }
    client.lastSeen = performance.now();
    const c = client;
    const { host, port: targetPort } = this.options.target;
    this.#later(this.up, msg, () => {
      if (!this.#closed && this.#clients.get(key) === c) c.socket.send(msg, targetPort, host);
    });
  }

  #later(path: Impairment, msg: Buffer, send: () => void): void {
    const now = performance.now();
    const at = path.admit(now, msg.length + 28); // + IPv4 and UDP headers, as a link carries them
    if (at === null || this.#closed) return;
    const wait = at - now;
    if (wait <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      send();
    }, wait);
    this.#timers.add(timer);
  }
}
