/** "00:12:34": hours, minutes, seconds of a duration; below zero counts as zero. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  return [hours, minutes, seconds].map((n) => String(n).padStart(2, '0')).join(':');
}

const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/** A local wall-clock time, as the reader's locale writes it ("14:05", "2:05 PM"). */
export function formatClock(epochMs: number): string {
  return clockFormat.format(epochMs);
}
