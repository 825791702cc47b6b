import type { WireEnd } from './messages.js';

/**
 * Above this many bytes queued on an audio channel, new frames are dropped rather than queued: a
 * frame that waits behind ~1.5 s of others (at 160 kbps) arrives after its playout time anyway, and
 * the listener conceals the gap. Below it, the listener decides what is late. The host lowers a
 * channel's limit to what can still play (`backlogBytes`: the room delay's worth at its rung).
 */
export const AUDIO_BACKLOG_BYTES = 32 * 1024;

/**
 * One unreliable channel as the worker sees it: a data channel transferred here, or a MessagePort
 * the page relays a data channel through (browsers that cannot transfer them).
 */
export class Wire {
  dropped = 0;
  /** Frames are dropped rather than queued behind this many bytes (at most AUDIO_BACKLOG_BYTES). */
  backlogBytes = AUDIO_BACKLOG_BYTES;
  /** Bytes handed to the channel so far. */
  bytesSent = 0;
  #onMessage: ((data: ArrayBuffer) => void) | null = null;

  constructor(readonly end: WireEnd) {
    const deliver = (e: MessageEvent) => {
      if (e.data instanceof ArrayBuffer) this.#onMessage?.(e.data);
    };
    if (end instanceof MessagePort) {
      end.onmessage = deliver;
      end.start();
    } else {
      end.binaryType = 'arraybuffer';
      end.onmessage = deliver;
    }
  }

  /**
   * The channel is sending slower than it is fed (SCTP's congestion control backed off: measured on
   * a 10 %-loss path, it sometimes settles below the stream's rate). Extra traffic, such as resends,
   * only deepens the queue then.
   */
  get congested(): boolean {
    return this.buffered > this.backlogBytes / 4;
  }

  /** Bytes waiting in the channel's send buffer (0 for a relayed port: the page's channel holds them). */
  get buffered(): number {
    const end = this.end;
    return end instanceof MessagePort ? 0 : end.bufferedAmount;
  }

  /** Calls `handler` once the channel is open (at once if it is; never for a relayed port). */
  onOpen(handler: () => void): void {
    const end = this.end;
    if (end instanceof MessagePort) return;
    if (end.readyState === 'open') queueMicrotask(handler);
    else end.addEventListener('open', handler, { once: true });
  }

  onMessage(handler: (data: ArrayBuffer) => void): void {
    this.#onMessage = handler;
  }

  /** Sends now or drops: never queues behind a backlog (see AUDIO_BACKLOG_BYTES). */
  send(data: ArrayBuffer): void {
    const end = this.end;
    if (end instanceof MessagePort) {
      end.postMessage(data); // copied: the host sends one packet to many
      this.bytesSent += data.byteLength;
      return;
    }
    if (end.readyState !== 'open') return;
    if (end.bufferedAmount > this.backlogBytes) {
      this.dropped++;
      return;
    }
    try {
      end.send(data);
      this.bytesSent += data.byteLength;
    } catch {
      this.dropped++;
    }
  }

  close(): void {
    this.#onMessage = null;
    this.end.onmessage = null;
    this.end.close();
  }
}
