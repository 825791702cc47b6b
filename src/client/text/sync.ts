import type { SyncStatus } from '../../protocol/media.js';

/** One line for a member's sync, e.g. "in sync, ±0.4 ms · 62 ms delay · 48 ms buffered · 160 kbps". */
export function describeSync(s: SyncStatus | undefined): string {
  if (!s) return 'no audio yet';
  const parts = [
    s.inSync ? `in sync, ±${formatMs(s.syncErrorMs)}` : 'syncing...',
    `${Math.round(s.delayMs)} ms delay`,
    `${Math.round(s.bufferMs)} ms buffered`,
  ];
  if (s.underrunMs > 0) parts.push(`${Math.round(s.underrunMs)} ms concealed`);
  if (s.kbps) parts.push(`${Math.round(s.kbps)} kbps`);
  return parts.join(' · ');
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}
