import type { SyncStatus } from '../../protocol/media.js';
import type { CalibrationEntry, CalibrationProgress } from '../media/CalibrationRun.js';

/** The member list's word on a device's calibration, or '' when there is nothing to say. */
export function describeCalibration(s: SyncStatus | undefined): string {
  if (!s?.calibration) return '';
  const offset = s.offsetMs !== undefined ? signedMs(s.offsetMs) : '';
  switch (s.calibration) {
    case 'calibrated':
      return `calibrated, ${offset}`;
    case 'stale':
      return 'output changed: calibrate again';
    case 'not-heard':
      return 'not heard in calibration';
    default:
      return s.offsetMs ? `offset ${offset}` : '';
  }
}

export function describeCalibrationPhase(run: CalibrationProgress): string {
  switch (run.phase) {
    case 'starting':
      return 'Starting the microphone...';
    case 'listening':
      return `Listening: ${run.entries.length} devices play a chirp in turn...`;
    case 'analysing':
      return 'Measuring...';
    case 'done': {
      const heard = run.entries.filter((e) => e.state === 'heard').length;
      return heard === run.entries.length
        ? `Done: all ${heard} devices calibrated.`
        : `Done: ${heard} of ${run.entries.length} devices calibrated.`;
    }
    default:
      return run.error ?? '';
  }
}

export function describeCalibrationEntry(e: CalibrationEntry): string {
  switch (e.state) {
    case 'heard': {
      const was =
        e.errorMs !== undefined
          ? `was ${Math.abs(e.errorMs).toFixed(1)} ms ${e.errorMs > 0 ? 'late' : 'early'}, `
          : '';
      return `${was}now plays at ${signedMs(e.offsetMs ?? 0)}`;
    }
    case 'not-heard':
      return 'not heard: turn its volume up or bring it closer, then try again';
    case 'missed':
      return 'could not play (not connected, or its sound is off)';
    default:
      return 'waiting...';
  }
}

/** "+3.2 ms", "-180 ms", "0 ms". */
export function signedMs(ms: number): string {
  const r = Math.round(ms * 10) / 10;
  return `${r > 0 ? '+' : r < 0 ? '−' : ''}${Math.abs(r) < 100 ? Math.abs(r).toFixed(1) : Math.round(Math.abs(r))} ms`;
}
