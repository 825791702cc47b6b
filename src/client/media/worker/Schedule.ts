import { FRAME_MS, OPUS_DELAY_MS } from '../../../protocol/mediaWire.js';
import { MediaClock } from '../../../sync/MediaClock.js';
import {
  type AffineLine,
  composeTiming,
  lineAt,
  lineInverse,
  type TimingLine,
} from '../../../sync/TimingLine.js';
import type { PlayoutIn } from '../worklets/playout.worklet.js';
import { localNow } from './clock.js';
import type { DecodedFrame } from './FrameDecoder.js';
import type { ScheduleJumps } from './messages.js';

/** A change of the schedule larger than this (ms) between two timing lines counts as a jump. */
const JUMP_MS = 1;

/** How often the schedule line is sent to the playout worklet. */
const TIMING_EVERY_MS = 100;
/** The line's reference point: this far beyond what the worklet renders now. */
const TIMING_AHEAD_MS = 50;

/**
 * Turns stamped frames into scheduled playout on this device (in the media worker): keeps the media
 * clock (sample index <-> host clock) of the current stream, hands decoded frames to the playout
 * worklet, and sends it the line it plays by:
 *
 *   media heard at local output time L  =  mediaClock^-1( toHost(L) - D - offset )
 *
 * Used by listeners (toHost from clock sync) and by the host's own device (toHost = identity).
 */
export class Schedule {
  readonly mediaClock = new MediaClock();
  #streamId: number | null = null;
  #epoch = -1;
  #delayMs: number;
  #offsetMs = 0;
  #output: AffineLine | null = null;
  #renderLeadMs = 0;
  readonly jumps: ScheduleJumps = { output: 0, clock: 0, media: 0, delay: 0, last: [] };
  #prev: { output: AffineLine; media: AffineLine; delayMs: number; line: TimingLine } | null = null;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(
    readonly playout: MessagePort,
    /** Local clock -> host clock, or null while clock sync is not ready. */
    readonly toHost: (localMs: number) => number | null,
    delayMs: number,
  ) {
    this.#delayMs = delayMs;
    this.#timer = setInterval(() => this.#sendTiming(), TIMING_EVERY_MS);
  }

  get renderLeadMs(): number {
    return this.#renderLeadMs;
  }

  /** A copy of the jump counts, for the worker's state report. */
  jumpsNow(): ScheduleJumps {
    return { ...this.jumps, last: [...this.jumps.last] };
  }

  get output(): AffineLine | null {
    return this.#output;
  }

  /** The room delay D (ms). */
  get delayMs(): number {
    return this.#delayMs;
  }

  setOutput(line: AffineLine | null, renderLeadMs: number): void {
    this.#output = line;
    this.#renderLeadMs = renderLeadMs;
  }

  /** The room delay changed: the schedule moves and the playout follows (softly if small). */
  setDelay(delayMs: number): void {
    this.#delayMs = delayMs;
    this.#sendTiming();
  }

  /** This device's fine offset (ms; + plays later): for speakers that report their delay wrongly. */
  setOffset(offsetMs: number): void {
    this.#offsetMs = offsetMs;
    this.#sendTiming();
  }

  /**
   * A decoded frame: number `seq` of its stream (contiguous from 0), stamped `t` on the host clock.
   * The channel buffers are transferred to the audio thread.
   */
  push({ streamId, seq, t, epoch, channels, length }: DecodedFrame): void {
    if (streamId !== this.#streamId) {
      // A new stream (the host restarted its encoder): a new timeline.
      this.#streamId = streamId;
      this.#epoch = epoch;
      this.mediaClock.reset();
      this.flush();
    } else if (epoch !== this.#epoch) {
      // The host's capture clock stepped: the same media, stamped on a moved line. Refit from here
      // (the rate is kept), so the playout moves with it at once instead of after seconds of outliers.
      this.#epoch = epoch;
      this.mediaClock.reset();
    }
    const media = seq * FRAME_MS;
    // Every 5th stamp is plenty for a line fitted over a minute, and keeps the fit cheap.
    const first = !this.mediaClock.ready;
    if (seq % 5 === 0 || first) this.mediaClock.add(media, t);
    // The decoded samples are the input's from OPUS_DELAY_MS earlier: placed there, every sample
    // leaves the speaker at exactly its stamp + D.
    const m: PlayoutIn = { type: 'frame', t: media - OPUS_DELAY_MS, channels, length };
    this.playout.postMessage(
      m,
      channels.map((c) => c.buffer as ArrayBuffer),
    );
    if (first) this.#sendTiming();
  }

  /**
   * When (host clock) frame `seq` of the current stream starts to leave the speaker, or null while
   * the stream's timeline is not known yet.
   */
  hostPlayTimeOf(seq: number): number | null {
    if (!this.mediaClock.ready) return null;
    return this.mediaClock.hostTimeOf(seq * FRAME_MS - OPUS_DELAY_MS) + this.#delayMs + this.#offsetMs;
  }

  flush(): void {
    this.playout.postMessage({ type: 'flush' } satisfies PlayoutIn);
  }

  close(): void {
    clearInterval(this.#timer);
    this.playout.postMessage({ type: 'timing', line: null } satisfies PlayoutIn);
  }

  #sendTiming(): void {
    const output = this.#output;
    const line =
      output && this.mediaClock.ready
        ? composeTiming({
            output,
            toHost: this.toHost,
            mediaAt: (host) => this.mediaClock.mediaTimeAt(host),
            delayMs: this.#delayMs + this.#offsetMs,
            // The context time leaving the speaker now, plus the render lead: what the worklet renders now.
            fromCtxMs: lineInverse(output, localNow()) + this.#renderLeadMs + TIMING_AHEAD_MS,
          })
        : null;
    if (line && output) this.#noteJumps(output, line);
    else this.#prev = null;
    this.playout.postMessage({ type: 'timing', line } satisfies PlayoutIn);
  }

  /** Compares the new line with the last one at the new reference point, and says which mapping moved. */
  #noteJumps(output: AffineLine, line: TimingLine): void {
    const media = this.mediaClock.line;
    const localAtRef = lineAt(output, line.ctxRefMs);
    const offset = (this.toHost(localAtRef) ?? localAtRef) - localAtRef;
    const delayMs = this.#delayMs + this.#offsetMs;
    const prev = this.#prev;
    if (media) this.#prev = { output, media, delayMs, line };
    if (!prev || !media) return;
    const moved = prev.line.mediaRef + prev.line.slope * (line.ctxRefMs - prev.line.ctxRefMs) - line.mediaRef;
    if (Math.abs(moved) <= JUMP_MS) return;
    const j = this.jumps;
    j.last.push(Math.round(-moved * 100) / 100);
    if (j.last.length > 8) j.last.shift();
    const host = localAtRef + offset - delayMs;
    const outMoved = Math.abs(localAtRef - lineAt(prev.output, line.ctxRefMs));
    const mediaMoved = Math.abs(lineInverse(media, host) - lineInverse(prev.media, host));
    if (Math.abs(delayMs - prev.delayMs) > JUMP_MS / 2) j.delay++;
    else if (outMoved > JUMP_MS / 2) j.output++;
    else if (mediaMoved > JUMP_MS / 2) j.media++;
    else j.clock++;
  }
}
