import { MEDIA_SAMPLE_RATE } from '../../protocol/media.js';
import { OutputClock } from '../../sync/OutputClock.js';
import { OutputFallback, type OutputSource } from '../../sync/OutputFallback.js';
import { OutputReadings } from '../../sync/OutputReadings.js';
import type { PlayoutStats } from '../../sync/PlayoutCore.js';
import type { MediaWorker } from './MediaWorker.js';
import { unreportedOutputLatencyMs } from './platformLatency.js';
import { localNow } from './worker/clock.js';
import captureUrl from './worklets/capture.worklet.ts?worker&url';
import type { PlayoutIn } from './worklets/playout.worklet.js';
import playoutUrl from './worklets/playout.worklet.ts?worker&url';

export { localNow };

/** How often the output clock is read (and sent to the media worker). */
const READ_EVERY_MS = 25;
/** An output latency to assume where the browser reports none (Safari before 18.4). */
const DEFAULT_OUTPUT_LATENCY_S = 0.04;

/**
 * This device's audio output: one AudioContext at 48 kHz running the playout worklet, a volume and
 * a level meter, and the OutputClock that says when each context sample leaves the device. The
 * frames and the schedule come from the media worker, straight to the worklet; the page only sends
 * the worker the output clock (getOutputTimestamp() exists on the main thread only).
 * Started as soon as the person is in a room (and kept running), because a fresh output ramps its
 * latency for seconds and underruns its first audible start (measured here; docs/sync.md).
 */
export class Player {
  readonly outputClock = new OutputClock({ unreportedMs: unreportedOutputLatencyMs(navigator.userAgent) });
  /** What the output clock is fed: getOutputTimestamp(), or currentTime where that is impossible. */
  readonly #fallback = new OutputFallback();
  /** What this browser's getOutputTimestamp() means (Firefox's differs from Chromium's). */
  readonly outputReadings = new OutputReadings();
  readonly gain: GainNode;
  readonly analyser: AnalyserNode;
  #stats: PlayoutStats | null = null;
  #worker: MediaWorker | null = null;
  #readTimer: ReturnType<typeof setInterval>;
  #closed = false;
  #levelBuf = new Float32Array(1024);

  private constructor(
    readonly ctx: AudioContext,
    readonly node: AudioWorkletNode,
  ) {
    this.gain = ctx.createGain();
    this.analyser = ctx.createAnalyser();
    this.analyser.fftSize = 1024;
    node.connect(this.gain);
    this.gain.connect(ctx.destination);
    this.gain.connect(this.analyser);
    node.port.onmessage = (e: MessageEvent<{ type: 'stats'; stats: PlayoutStats }>) => {
      if (e.data.type === 'stats') this.#stats = e.data.stats;
    };
    this.#readTimer = setInterval(() => this.#read(), READ_EVERY_MS);
  }

  /** Creates the context and loads the worklets. Call from a user gesture where browsers require it. */
  static async create(): Promise<Player> {
    const ctx = new AudioContext({ sampleRate: MEDIA_SAMPLE_RATE, latencyHint: latencyHint() });
    let node: AudioWorkletNode;
    try {
      await Promise.all([ctx.audioWorklet.addModule(playoutUrl), ctx.audioWorklet.addModule(captureUrl)]);
      node = new AudioWorkletNode(ctx, 'jamsesh-playout', {
        numberOfInputs: 0,
        numberOfOutputs: 1,
        outputChannelCount: [2],
      });
    } catch (err) {
      // Browsers allow only a few contexts per page: a failed start must not keep its own.
      void ctx.close().catch(() => {});
      throw err;
    }
    if (ctx.state !== 'running') await ctx.resume().catch(() => {});
    return new Player(ctx, node);
  }

  get stats(): PlayoutStats | null {
    return this.#stats;
  }

  /** True when the browser let audio start (a user gesture may be needed on phones). */
  get running(): boolean {
    return this.ctx.state === 'running';
  }

  async resume(): Promise<void> {
    await this.ctx.resume();
  }

  /**
   * Makes `worker` the source of what plays: returns a port to the playout worklet for it, and
   * sends it the output clock from now on. The previous worker's playout fades out.
   */
  connect(worker: MediaWorker): MessagePort {
    this.disconnect();
    this.#worker = worker;
    const { port1, port2 } = new MessageChannel();
    this.node.port.postMessage({ type: 'port', port: port1 } satisfies PlayoutIn, [port1]);
    this.#sendOutput();
    return port2;
  }

  /** Stops playing what the connected worker sent (fades out) and stops sending it the output clock. */
  disconnect(): void {
    if (!this.#worker) return;
    this.#worker = null;
    this.node.port.postMessage({ type: 'timing', line: null } satisfies PlayoutIn);
    this.node.port.postMessage({ type: 'flush' } satisfies PlayoutIn);
  }

  setVolume(volume: number): void {
    this.gain.gain.setTargetAtTime(Math.max(0, Math.min(1, volume)), this.ctx.currentTime, 0.02);
  }

  /** Output level, 0..1 (RMS of the last ~20 ms). */
  level(): number {
    this.analyser.getFloatTimeDomainData(this.#levelBuf);
    let s = 0;
    for (const v of this.#levelBuf) s += v * v;
    return Math.sqrt(s / this.#levelBuf.length);
  }

  /**
   * How far ahead of the speaker the worklet renders (ms): the output latency as the output clock
   * sees it. Part of the delay this device needs.
   */
  renderLeadMs(): number {
    if (!this.outputClock.ready) {
      // Safari before 18.4 has no outputLatency: assume a typical 40 ms until readings come.
      const reported = (this.ctx.outputLatency ?? DEFAULT_OUTPUT_LATENCY_S) + (this.ctx.baseLatency ?? 0);
      return reported * 1000 + this.outputClock.unreportedMs;
    }
    return this.outputClock.localTimeOf(this.ctx.currentTime) - localNow();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#readTimer);
    this.node.disconnect();
    void this.ctx.close().catch(() => {});
  }

  /** Where the output clock's readings come from (OutputFallback: WebKitGTK's gOT is not usable). */
  get outputSource(): OutputSource {
    return this.#fallback.source;
  }

  #read(): void {
    const ctx = this.ctx;
    if (ctx.state !== 'running') return;
    const beforeMs = performance.now();
    const ts = ctx.getOutputTimestamp();
    const currentTimeSec = ctx.currentTime;
    const afterMs = performance.now();
    // First what this browser's readings mean (Firefox stamps the call), then whether they can be
    // believed at all (WebKitGTK's run ahead of the clock): each step may start the line over.
    let contextTime = ts.contextTime;
    let performanceTime = ts.performanceTime;
    if (contextTime !== undefined && performanceTime !== undefined) {
      const { reading, switched } = this.outputReadings.add({
        contextTimeSec: contextTime,
        performanceTimeMs: performanceTime,
        currentTimeSec,
        outputLatencySec: ctx.outputLatency ?? 0,
        beforeMs,
        afterMs,
      });
      if (switched) this.outputClock.reset();
      contextTime = reading?.contextTimeSec;
      performanceTime = reading?.performanceTimeMs;
    }
    const before = this.#fallback.source;
    const r = this.#fallback.read({
      contextTime,
      performanceTime,
      currentTime: currentTimeSec,
      latencySec: ctx.baseLatency + (ctx.outputLatency || 0),
      now: afterMs,
    });
    // Readings of one source only: the other's level may be anywhere.
    if (this.#fallback.source !== before) this.outputClock.reset();
    if (r) this.outputClock.addReading(r.contextTimeSec, r.performanceTimeMs, performance.timeOrigin);
    this.#sendOutput();
  }

  #sendOutput(): void {
    this.#worker?.post({
      type: 'output',
      line: this.outputClock.line,
      renderLeadMs: Math.max(0, this.renderLeadMs()),
    });
  }
}

/**
 * The output buffer to ask for: `?latency=` a category ('interactive', 'balanced', 'playback') or a
 * number of seconds (larger buffers ride out longer stalls of a loaded device); 'interactive' by default.
 */
function latencyHint(): AudioContextLatencyCategory | number {
  const hint = new URLSearchParams(location.search).get('latency');
  if (hint === 'interactive' || hint === 'balanced' || hint === 'playback') return hint;
  const seconds = Number(hint);
  return hint && Number.isFinite(seconds) && seconds > 0 && seconds <= 1 ? seconds : 'interactive';
}
