/**
 * The arithmetic of the benchmark, pure: quantiles, grouping clicks by which click they are, and
 * matching the clicks heard at a device's output to the clicks produced at the host's source.
 */

/** The q-quantile (0..1) by nearest rank, NaN for no values. Same rule as the E2E sync test. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))] as number;
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

export interface Summary {
  n: number;
  median: number;
  p95: number;
  max: number;
}

export function summarize(xs: readonly number[]): Summary {
  return {
    n: xs.length,
    median: quantile(xs, 0.5),
    p95: quantile(xs, 0.95),
    max: xs.length > 0 ? Math.max(...xs) : Number.NaN,
  };
}

/**
 * Inter-device spread of clicks grouped by click index, as `compareClicks` in tests/e2e/sync.spec.ts
 * does: index = round((t - origin) / period). There the origin is the host's first click; here it is
 * the mean phase of all the `reference` clicks (a circular mean, modulo the period), so that one
 * click of the reference device displaced by a glitch cannot shift every group's bounds. Returns,
 * per click heard by every device of `devices`, max - min of their times.
 */
export function spreadByPeriod(
  reference: readonly number[],
  devices: readonly (readonly number[])[],
  periodMs: number,
): number[] {
  const origin = meanPhase(reference, periodMs);
  const byIndex = devices.map((c) => new Map(c.map((t) => [Math.round((t - origin) / periodMs), t])));
  return spreadOfGroups(byIndex);
}

/** The circular mean of `times` modulo `periodMs`, as a time (ms) in [0, periodMs). */
export function meanPhase(times: readonly number[], periodMs: number): number {
  let x = 0;
  let y = 0;
  for (const t of times) {
    const a = (2 * Math.PI * (((t % periodMs) + periodMs) % periodMs)) / periodMs;
    x += Math.cos(a);
    y += Math.sin(a);
  }
  const a = Math.atan2(y, x);
  return ((((a / (2 * Math.PI)) * periodMs) % periodMs) + periodMs) % periodMs;
}

/** Per key present in every map: max - min of the values. */
export function spreadOfGroups(byIndex: readonly Map<number, number>[]): number[] {
  const first = byIndex[0];
  if (!first) return [];
  const out: number[] = [];
  for (const k of first.keys()) {
    const times = byIndex.map((m) => m.get(k)).filter((t): t is number => t !== undefined);
    if (times.length === byIndex.length) out.push(Math.max(...times) - Math.min(...times));
  }
  return out;
}

export interface Matched {
  /** Index into the source clicks. */
  source: number;
  /** Output time minus source time (ms). */
  latencyMs: number;
  outMs: number;
}

/**
 * Matches each click heard at an output (`out`, ascending) to the source click (`source`,
 * ascending production times) it is a copy of, following the latency as it moves: each output
 * click is matched to the source click nearest to `t - latency`, where `latency` starts at
 * `initialLatencyMs` and then is the last match's. An output click with no source click within
 * `toleranceMs` of where it is expected is left out (a click concealed away, a probe that missed).
 * Needs a start value that is right to within half the click interval: with irregular intervals,
 * `estimateLatency` gives one.
 */
export function followLatency(
  source: readonly number[],
  out: readonly number[],
  initialLatencyMs: number,
  toleranceMs: number,
): Matched[] {
  const matched: Matched[] = [];
  let latency = initialLatencyMs;
  for (const t of out) {
    const m = matchOne(source, t, latency, toleranceMs);
    if (!m) continue;
    latency = m.latencyMs;
    matched.push(m);
  }
  return matched;
}

/**
 * Matches each output click to the source click nearest to `t - expectedLatency(t)`, if within
 * `toleranceMs`. With clicks exactly every P ms the latency is only known modulo P, so the expected
 * latency must come from elsewhere (JamSesh: by design, the room delay at the time plus the host's
 * render lead).
 */
export function matchExpected(
  source: readonly number[],
  out: readonly number[],
  expectedLatency: (outMs: number) => number,
  toleranceMs: number,
): Matched[] {
  const matched: Matched[] = [];
  for (const t of out) {
    const m = matchOne(source, t, expectedLatency(t), toleranceMs);
    if (m) matched.push(m);
  }
  return matched;
}

function matchOne(
  source: readonly number[],
  t: number,
  latency: number,
  toleranceMs: number,
): Matched | null {
  const k = nearest(source, t - latency);
  if (k < 0) return null;
  const s = source[k] as number;
  if (Math.abs(t - latency - s) > toleranceMs) return null;
  return { source: k, latencyMs: t - s, outMs: t };
}

/**
 * The latency (ms, within [minMs, maxMs]) that lines up the most of the first `useClicks` output
 * clicks with source clicks within +-`toleranceMs`: a vote over every (output, source) pair. With
 * irregular click intervals only the true latency collects many votes.
 */
export function estimateLatency(
  source: readonly number[],
  out: readonly number[],
  { minMs = 0, maxMs = 2000, toleranceMs = 3, useClicks = 20 } = {},
): { latencyMs: number; votes: number } | null {
  const candidates: number[] = [];
  for (const t of out.slice(0, useClicks)) {
    for (const s of source) {
      const d = t - s;
      if (d >= minMs && d <= maxMs) candidates.push(d);
    }
  }
  candidates.sort((a, b) => a - b);
  let best: { latencyMs: number; votes: number } | null = null;
  let lo = 0;
  for (let hi = 0; hi < candidates.length; hi++) {
    while ((candidates[hi] as number) - (candidates[lo] as number) > 2 * toleranceMs) lo++;
    const votes = hi - lo + 1;
    if (!best || votes > best.votes) {
      best = { latencyMs: median(candidates.slice(lo, hi + 1)), votes };
    }
  }
  return best;
}

/** Index of the value of ascending `xs` nearest to `x`, -1 if empty. */
export function nearest(xs: readonly number[], x: number): number {
  if (xs.length === 0) return -1;
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs((xs[lo - 1] as number) - x) <= Math.abs((xs[lo] as number) - x)) return lo - 1;
  return lo;
}

/**
 * The first click of `late` (ascending) that every other device heard within `withinMs`: its time,
 * and the time of the first click from which `stayFor` consecutive ones all are. Clicks are paired
 * with each other device's nearest click (at most `pairMs` away).
 */
export function firstInStep(
  late: readonly number[],
  others: readonly (readonly number[])[],
  { withinMs = 2, pairMs = 200, stayFor = 10 } = {},
): { first: number | null; stays: number | null } {
  let first: number | null = null;
  let runStart: number | null = null;
  let run = 0;
  for (const t of late) {
    let known = true;
    let ok = true;
    for (const o of others) {
      const k = nearest(o, t);
      const d = k < 0 ? Number.POSITIVE_INFINITY : Math.abs((o[k] as number) - t);
      if (d > pairMs) known = false;
      else if (d > withinMs) ok = false;
    }
    if (!known) continue;
    if (ok) {
      first ??= t;
      runStart ??= t;
      run++;
      if (run >= stayFor) return { first, stays: runStart };
    } else {
      runStart = null;
      run = 0;
    }
  }
  return { first, stays: null };
}
