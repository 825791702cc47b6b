import { MEDIA_SAMPLE_RATE } from '../../protocol/media.js';
import { OutputClock } from '../../sync/OutputClock.js';
import type { PlayoutStats } from '../../sync/PlayoutCore.js';
import captureUrl from './worklets/capture.worklet.ts?worker&url';
import type { PlayoutIn, TimingLine } from './worklets/playout.worklet.js';
import playoutUrl from './worklets/playout.worklet.ts?worker&url';
import probeUrl from './worklets/probe.worklet.ts?worker&url';

/** Local clock, ms: the same expression on every device, and what clock sync relates. */
export function localNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Maps a local output time (ms) to the media time (ms) that must be heard then, or null if unknown. */
export type MediaSchedule = (localOutputMs: number) => number | null;

/** How often the output clock is read, and the timing line refreshed. */
const READ_EVERY_MS = 25;
const TIMING_EVERY_MS = 100;

/**
 * This device's audio output: one AudioContext at 48 kHz running the playout worklet, a volume and
 * a level meter, and the OutputClock that says when each context sample leaves the device.
 * Started as soon as the person is in a room (and kept running), because a fresh output ramps its
 * latency for seconds and underruns its first audible start (measured here; docs/sync.md).
 */
export class Player {
  readonly outputClock = new OutputClock();
  readonly gain: GainNode;
  readonly analyser: AnalyserNode;
  #stats: PlayoutStats | null = null;
  #schedule: MediaSchedule | null = null;
  #readTimer: ReturnType<typeof setInterval>;
  #timingTimer: ReturnType<typeof setInterval>;
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
    this.#timingTimer = setInterval(() => this.#updateTiming(), TIMING_EVERY_MS);
  }

  /** Creates the context and loads the worklets. Call from a user gesture where browsers require it. */
  static async create(): Promise<Player> {
    const ctx = new AudioContext({
      sampleRate: MEDIA_SAMPLE_RATE,
      latencyHint:
        (new URLSearchParams(location.search).get('latency') as AudioContextLatencyCategory | null) ??
        'interactive',
    });
    await Promise.all([ctx.audioWorklet.addModule(playoutUrl), ctx.audioWorklet.addModule(captureUrl)]);
    const node = new AudioWorkletNode(ctx, 'jamsesh-playout', {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [2],
    });
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

  /** What media time must be heard at which local time; null stops playout (silence). */
  setSchedule(schedule: MediaSchedule | null): void {
    this.#schedule = schedule;
    this.#updateTiming();
  }

  push(t: number, channels: Float32Array[], length: number): void {
    const m: PlayoutIn = { type: 'frame', t, channels, length };
    this.node.port.postMessage(
      m,
      channels.map((c) => c.buffer as ArrayBuffer),
    );
  }

  flush(): void {
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
    if (!this.outputClock.ready) return this.ctx.outputLatency * 1000 + this.ctx.baseLatency * 1000;
    return this.outputClock.localTimeOf(this.ctx.currentTime) - localNow();
  }

  /** Adds a click detector after the volume (tests and benchmark). Clicks come as local times (ms). */
  async attachProbe(onClick: (localMs: number, peak: number) => void): Promise<void> {
    await this.attachProbeTo(this.gain, onClick);
  }

  /**
   * Adds a click detector listening to `node` (a node of this context, e.g. the host's source before
   * capture). A click comes as the local time (ms) at which its sample leaves this device's output,
   * or would leave it: for a node off the way to the speaker, subtract renderLeadMs() to get when
   * the audio thread produced it.
   */
  async attachProbeTo(node: AudioNode, onClick: (localMs: number, peak: number) => void): Promise<void> {
    await this.ctx.audioWorklet.addModule(probeUrl);
    const probe = new AudioWorkletNode(this.ctx, 'jamsesh-probe', { numberOfInputs: 1, numberOfOutputs: 0 });
    probe.port.onmessage = (e: MessageEvent<{ type: 'click'; frame: number; peak: number }>) => {
      if (this.outputClock.ready)
        onClick(this.outputClock.localTimeOf(e.data.frame / this.ctx.sampleRate), e.data.peak);
    };
    node.connect(probe);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#readTimer);
    clearInterval(this.#timingTimer);
    this.node.disconnect();
    void this.ctx.close().catch(() => {});
  }

  #read(): void {
    if (this.ctx.state !== 'running') return;
    const ts = this.ctx.getOutputTimestamp();
    if (ts.contextTime !== undefined && ts.performanceTime !== undefined) {
      this.outputClock.addReading(ts.contextTime, ts.performanceTime, performance.timeOrigin);
    }
  }

  #updateTiming(): void {
    const schedule = this.#schedule;
    let line: TimingLine | null = null;
    if (schedule && this.outputClock.ready) {
      // A line through two points a second apart, just ahead of what the worklet renders now.
      const c1 = this.ctx.currentTime + 0.05;
      const c2 = c1 + 1;
      const m1 = schedule(this.outputClock.localTimeOf(c1));
      const m2 = schedule(this.outputClock.localTimeOf(c2));
      if (m1 !== null && m2 !== null && Number.isFinite(m1) && Number.isFinite(m2)) {
        line = { ctxRefMs: c1 * 1000, mediaRef: m1, slope: (m2 - m1) / 1000 };
      }
    }
    this.node.port.postMessage({ type: 'timing', line } satisfies PlayoutIn);
  }
}
