import { FRAME_MS, type SyncStatus } from '../../protocol/media.js';
import { MediaClock } from '../../sync/MediaClock.js';
import type { Player } from './Player.js';

/**
 * Turns stamped frames into scheduled playout on this device: keeps the media clock (sample index
 * <-> host clock) of the current stream and tells the Player which media time to emit when:
 *
 *   media heard at local output time L  =  mediaClock^-1( toHost(L) - D )
 *
 * Used by listeners (frames decoded from the network, toHost from clock sync) and by the host's
 * own device (frames straight from capture, toHost = identity).
 */
export class Receiver {
  readonly mediaClock = new MediaClock();
  #streamId: number | null = null;
  #delayMs: number;
  #offsetMs = 0;

  constructor(
    readonly player: Player,
    /** Local clock -> host clock, or null while clock sync is not ready. */
    readonly toHost: (localMs: number) => number | null,
    delayMs: number,
  ) {
    this.#delayMs = delayMs;
    player.setSchedule((local) => this.mediaTimeAt(local));
  }

  get delayMs(): number {
    return this.#delayMs;
  }

  /** The room delay changed: the schedule moves and the playout follows (softly if small). */
  setDelay(delayMs: number): void {
    this.#delayMs = delayMs;
  }

  /** This device's fine offset (ms; + plays later): for speakers that report their delay wrongly. */
  setOffset(offsetMs: number): void {
    this.#offsetMs = offsetMs;
  }

  /** Media time (ms) that must be heard at local time `localMs`, or null when not known yet. */
  mediaTimeAt(localMs: number): number | null {
    if (!this.mediaClock.ready) return null;
    const host = this.toHost(localMs);
    if (host === null) return null;
    return this.mediaClock.mediaTimeAt(host - this.#delayMs - this.#offsetMs);
  }

  /**
   * A decoded frame of stream `streamId`, number `seq` (contiguous from 0 in a stream), stamped `t`
   * on the host clock. The channel buffers are handed over (transferred to the audio thread).
   */
  push(streamId: number, seq: number, t: number, channels: Float32Array[], length: number): void {
    if (streamId !== this.#streamId) {
      // A new stream (the host restarted its encoder): a new timeline.
      this.#streamId = streamId;
      this.mediaClock.reset();
      this.player.flush();
    }
    const media = seq * FRAME_MS;
    // Every 5th stamp is plenty for a line fitted over a minute, and keeps the fit cheap.
    if (seq % 5 === 0 || !this.mediaClock.ready) this.mediaClock.add(media, t);
    this.player.push(media, channels, length);
  }

  /**
   * This device's sync status from its playout and its clock sync (the host's own clock is exact:
   * uncertainty and round trip 0). The error shown is the playout error plus the clock's bound.
   */
  status(clock: { uncertainty: number; rtt: number; ready: boolean } | null): SyncStatus {
    const s = this.player.stats;
    const errorMs = s?.errorMs ?? 0;
    return {
      syncErrorMs: Math.abs(errorMs) + (clock?.uncertainty ?? 0),
      delayMs: this.#delayMs,
      bufferMs: s?.bufferedMs ?? 0,
      clockUncertaintyMs: clock?.uncertainty ?? -1,
      rttMs: clock?.rtt ?? -1,
      lateFrames: s?.framesLate ?? 0,
      underrunMs: s?.underrunMs ?? 0,
      inSync: Boolean(s?.playing) && Boolean(clock?.ready) && Math.abs(errorMs) < 2,
    };
  }

  close(): void {
    this.player.setSchedule(null);
  }
}
