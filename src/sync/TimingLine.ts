/**
 * The playout's schedule as one straight line, composed from the three clock mappings a device
 * keeps (docs/sync.md, "Playout"):
 *
 *   context time c  --output clock-->  local time L  --clock sync-->  host time H
 *   media heard at c  =  mediaClock^-1( H(L(c)) - D - offset )
 *
 * Each mapping is (within a few seconds) a straight line, so the composition is one too; the audio
 * worklet evaluates it at every render quantum. Pure: it runs in the media worker.
 */

/** y = y0 + slope * (x - x0). */
export interface AffineLine {
  x0: number;
  y0: number;
  slope: number;
}

/** What the playout worklet needs: media time (ms) that must leave the speaker at context time (ms). */
export interface TimingLine {
  /** Context time (ms) of the reference point. */
  ctxRefMs: number;
  /** Media time (ms) that must leave the speaker at ctxRefMs. */
  mediaRef: number;
  /** Media ms per context ms. */
  slope: number;
}

export function lineAt(line: AffineLine, x: number): number {
  return line.y0 + line.slope * (x - line.x0);
}

export function lineInverse(line: AffineLine, y: number): number {
  return line.x0 + (y - line.y0) / line.slope;
}

export interface TimingInputs {
  /** Output clock: context ms -> local ms at which that sample leaves the device. */
  output: AffineLine;
  /** Local ms -> host ms (identity on the host), or null while unknown. */
  toHost: (localMs: number) => number | null;
  /** Host ms -> media ms stamped then, or null while unknown. */
  mediaAt: (hostMs: number) => number | null;
  /** Room delay D plus this device's fine offset, ms. */
  delayMs: number;
  /** Context ms near where the worklet renders now: the reference point. */
  fromCtxMs: number;
}

/**
 * The schedule as a line through two points a second apart, starting at `fromCtxMs`; null when a
 * mapping is not known yet. Over a second every mapping is straight to far below a microsecond.
 */
export function composeTiming(i: TimingInputs): TimingLine | null {
  const at = (ctxMs: number): number | null => {
    const host = i.toHost(lineAt(i.output, ctxMs));
    if (host === null || !Number.isFinite(host)) return null;
    const media = i.mediaAt(host - i.delayMs);
    return media !== null && Number.isFinite(media) ? media : null;
  };
  const c1 = i.fromCtxMs;
  const m1 = at(c1);
  const m2 = at(c1 + 1000);
  if (m1 === null || m2 === null) return null;
  return { ctxRefMs: c1, mediaRef: m1, slope: (m2 - m1) / 1000 };
}
