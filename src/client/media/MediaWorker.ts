import { TypedEmitter } from '../net/TypedEmitter.js';
import workerUrl from './worker/media.worker.ts?worker&url';
import type { FromWorker, ToWorker } from './worker/messages.js';
import { AUDIO_BACKLOG_BYTES } from './worker/Wire.js';

export interface MediaWorkerEvents {
  state: FromWorker;
}

/**
 * The page's handle on its media worker (worker/media.worker.ts): typed messages, the worker's
 * state as events, and the hand-over of a link's audio and clock data channels.
 */
export class MediaWorker extends TypedEmitter<MediaWorkerEvents> {
  readonly #worker: Worker;
  #closed = false;
  /** Whether this browser could transfer data channels (else they are relayed). */
  transferred = true;

  constructor() {
    super();
    this.#worker = new Worker(workerUrl, { type: 'module', name: 'jamsesh-media' });
    this.#worker.onmessage = (e: MessageEvent<FromWorker>) => this.emit('state', e.data);
    this.#worker.onerror = (e) => console.warn('media worker error', e.message);
  }

  post(message: ToWorker, transfer: Transferable[] = []): void {
    if (!this.#closed) this.#worker.postMessage(message, transfer);
  }

  /**
   * Moves a link's unreliable channels into the worker. Must run in the task that created them
   * (browsers transfer a data channel only before it has done anything). Where the browser cannot
   * transfer them, the page relays each through a MessagePort instead: same worker code, one hop more.
   */
  handOver(peerId: string, audio: RTCDataChannel, clock: RTCDataChannel): void {
    try {
      this.#worker.postMessage({ type: 'wire', peerId, audio, clock } satisfies ToWorker, [
        audio as unknown as Transferable,
        clock as unknown as Transferable,
      ]);
    } catch {
      this.transferred = false;
      const a = relay(audio);
      const c = relay(clock);
      this.post({ type: 'wire', peerId, audio: a, clock: c }, [a, c]);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#worker.terminate();
    this.removeAllListeners();
  }
}

/** A MessagePort standing for `channel`: what arrives on one is sent on the other. */
function relay(channel: RTCDataChannel): MessagePort {
  const { port1, port2 } = new MessageChannel();
  channel.binaryType = 'arraybuffer';
  channel.onmessage = (e) => {
    if (e.data instanceof ArrayBuffer) port1.postMessage(e.data, [e.data]);
  };
  port1.onmessage = (e: MessageEvent<ArrayBuffer>) => {
    if (channel.readyState === 'open' && channel.bufferedAmount <= AUDIO_BACKLOG_BYTES) channel.send(e.data);
  };
  channel.onclose = () => port1.close();
  return port2;
}
