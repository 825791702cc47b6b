/**
 * The media worker: one per page in a room, host or listener (see messages.ts for what runs here
 * and why). A thin adapter: it routes the page's messages to HostMedia or ListenerMedia and reports
 * their state every WORKER_STATE_EVERY_MS.
 */
import type { DecoderKind } from '../decoderChoice.js';
import { HostMedia } from './HostMedia.js';
import { ListenerMedia } from './ListenerMedia.js';
import { type FromWorker, type ToWorker, WORKER_STATE_EVERY_MS } from './messages.js';
import type { ChosenDecoder } from './OpusBackend.js';
import { loadWasmOpus, wasmOpus } from './WasmOpus.js';
import { webCodecsOpus } from './WebCodecsOpus.js';
import { Wire } from './Wire.js';

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
};

let host: HostMedia | null = null;
let listener: ListenerMedia | null = null;

scope.onmessage = (e) => {
  const m = e.data;
  const media = host ?? listener;
  switch (m.type) {
    case 'init':
      if (media) return;
      if (m.role === 'host') host = new HostMedia(m.playout, m.sampleRate, decoder(m.decoder));
      else listener = new ListenerMedia(m.playout, decoder(m.decoder));
      setInterval(() => {
        const state = (host ?? listener)?.state();
        if (state) scope.postMessage(state);
      }, WORKER_STATE_EVERY_MS);
      return;
    case 'output':
      media?.schedule.setOutput(m.line, m.renderLeadMs);
      return;
    case 'delay':
      media?.schedule.setDelay(m.delayMs);
      (host ?? listener)?.setRobust(m.mode === 'party');
      return;
    case 'offset':
      media?.schedule.setOffset(m.offsetMs);
      return;
    case 'wire':
      host?.addLink(m.peerId, new Wire(m.audio), new Wire(m.clock));
      listener?.setWires(new Wire(m.audio), new Wire(m.clock));
      return;
    case 'unwire':
      host?.removeLink(m.peerId);
      listener?.dropWires();
      return;
    case 'capture':
      host?.setCapture(m.port);
      return;
    case 'local-playback':
      host?.setLocalPlayback(m.enabled);
      return;
  }
};

/**
 * The decoder the page chose; WebAssembly also where this worker has no AudioDecoder after all
 * (a browser may expose WebCodecs to pages and not to workers). Its module starts loading now, so
 * that the first frames do not wait for it.
 */
function decoder(kind: DecoderKind): ChosenDecoder {
  if (kind === 'webcodecs' && typeof AudioDecoder === 'function') return { kind, backend: webCodecsOpus };
  void loadWasmOpus().catch(() => {});
  return { kind: 'wasm', backend: wasmOpus };
}
