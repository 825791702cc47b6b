import type { CalibrationState, SyncStatus } from '../../protocol/media.js';
import type { PlayoutStats } from '../../sync/PlayoutCore.js';

/**
 * A device's sync status from its playout (the worklet's stats) and its clock sync (the host's own
 * clock is exact: uncertainty and round trip 0). The error shown is the playout error plus the
 * clock's bound.
 */
export function syncStatus(
  stats: PlayoutStats | null,
  delayMs: number,
  clock: { uncertainty: number; rtt: number; ready: boolean } | null,
  kbps?: number,
  device?: DeviceOutput,
): SyncStatus {
  const errorMs = stats?.errorMs ?? 0;
  return {
    syncErrorMs: Math.abs(errorMs) + (clock?.uncertainty ?? 0),
    delayMs,
    bufferMs: stats?.bufferedMs ?? 0,
    clockUncertaintyMs: clock?.uncertainty ?? -1,
    rttMs: clock?.rtt ?? -1,
    lateFrames: stats?.framesLate ?? 0,
    underrunMs: stats?.underrunMs ?? 0,
    inSync: Boolean(stats?.playing) && Boolean(clock?.ready) && Math.abs(errorMs) < 2,
    ...(kbps ? { kbps } : {}),
    ...(device ? { offsetMs: device.offsetMs, calibration: device.calibration } : {}),
  };
}

/** This device's output offset and its calibration, as the member list shows them. */
export interface DeviceOutput {
  offsetMs: number;
  calibration: CalibrationState;
}
