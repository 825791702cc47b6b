/**
 * Local clock, ms: performance.timeOrigin + performance.now(). The same expression on every device
 * and in every thread of a page (a worker has its own timeOrigin, and the sum is the same clock),
 * and what clock sync relates.
 */
export function localNow(): number {
  return performance.timeOrigin + performance.now();
}
