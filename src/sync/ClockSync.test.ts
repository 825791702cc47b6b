import { afterAll, describe, expect, it } from 'vitest';
import { ClockNotSyncedError, type ClockSample, ClockSync, type ClockSyncOptions } from './ClockSync.js';
import {
  jitter,
  runProbes,
  SimClock,
  type SimExchange,
  SimNetwork,
  type SimNetworkOptions,
} from './testing/simnet.js';

/** Epoch-sized local times, as `performance.timeOrigin + performance.now()` gives them. */
const T0 = 1_700_000_000_000;
/** The host's clock is ahead of ours by this much at T0 (its page loaded earlier, its clock differs). */
const HOST_AHEAD = 12_345.678;

/** A sample that measures exactly `offset` with equal ways, round trip `rtt`, sent at t0. */
function exchange(t0: number, offset: number, rtt: number, upShare = 0.5, hold = 0.1): ClockSample {
  const up = rtt * upShare;
  const t1 = t0 + up + offset;
  return { t0, t1, t2: t1 + hold, t3: t0 + rtt + hold };
}

interface Scenario {
  seeds: number[];
  net: Omit<SimNetworkOptions, 'seed'>;
  drift?: number;
  steps?: { atLocal: number; byMs: number }[];
  durationMs: number;
  options?: ClockSyncOptions;
}

interface Checkpoint {
  /** ms since the start. */
  t: number;
  /** toHost(now) - true host time, ms. */
  error: number;
  /** uncertaintyAt(now). */
  bound: number;
}

interface Run {
  seed: number;
  sync: ClockSync;
  clock: SimClock;
  exchanges: SimExchange[];
  checkpoints: Checkpoint[];
  /** ms from the start until `ready` first held (at a probe time). */
  readyAt: number;
}

/** Runs the probe loop of a scenario once per seed; every probe time is a checkpoint. */
function simulate(s: Scenario): Run[] {
  return s.seeds.map((seed) => {
    const clock = new SimClock(T0, HOST_AHEAD, s.drift ?? 0, s.steps ?? []);
    const net = new SimNetwork({ seed, ...s.net }, clock);
    const sync = new ClockSync({ resolutionMs: 0.005, ...s.options });
    const checkpoints: Checkpoint[] = [];
    let readyAt = Number.POSITIVE_INFINITY;
    const exchanges = runProbes({
      sync,
      net,
      start: T0,
      durationMs: s.durationMs,
      onTick: (now) => {
        if (!sync.estimate()) return;
        if (sync.ready && readyAt === Number.POSITIVE_INFINITY) readyAt = now - T0;
        checkpoints.push({
          t: now - T0,
          error: sync.toHost(now) - clock.host(now),
          bound: sync.uncertaintyAt(now),
        });
      },
    });
    return { seed, sync, clock, exchanges, checkpoints, readyAt };
  });
}

function maxAbsError(run: Run, from = 0, to = Number.POSITIVE_INFINITY): number {
  let worst = 0;
  for (const c of run.checkpoints) if (c.t >= from && c.t <= to) worst = Math.max(worst, Math.abs(c.error));
  return worst;
}

function rmsError(run: Run, from = 0): number {
  const errors = run.checkpoints.filter((c) => c.t >= from).map((c) => c.error * c.error);
  return Math.sqrt(errors.reduce((a, b) => a + b, 0) / errors.length);
}

/** The largest |error| / uncertainty over a run: <= 1 means the bound held at every checkpoint. */
function worstBoundUse(run: Run): number {
  return Math.max(...run.checkpoints.map((c) => Math.abs(c.error) / c.bound));
}

/** Error of the naive estimators, over all answered exchanges: the mean and (Snapcast) the median. */
function naiveErrors(run: Run): { mean: number; median: number } {
  const errors = run.exchanges
    .map(({ sample: s }) => (s.t1 - s.t0 + (s.t2 - s.t3)) / 2 - run.clock.trueOffset((s.t0 + s.t3) / 2))
    .sort((a, b) => a - b);
  const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
  return { mean, median: errors[Math.floor(errors.length / 2)] ?? Number.NaN };
}

/** What each scenario measured; printed after the run when CLOCKSYNC_REPORT is set. */
const report: Record<string, string> = {};
const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
afterAll(() => {
  if (env?.CLOCKSYNC_REPORT) console.table(report);
});
const ms = (v: number): string => `${v.toFixed(3)} ms`;

const LAN: Omit<SimNetworkOptions, 'seed'> = {
  upBaseMs: 0.5,
  downBaseMs: 0.5,
  upJitter: jitter.exp(0.2),
  downJitter: jitter.exp(0.2),
};

describe('ClockSync, one exchange at a time', () => {
  it('works the NTP arithmetic through: rtt = (t3 - t0) - (t2 - t1), offset = ((t1 - t0) + (t2 - t3)) / 2', () => {
    const sync = new ClockSync({ resolutionMs: 0 });
    // Sent at 1000 (local), arrived 1505 (host), answered 1506 (host), back at 1011 (local):
    // rtt = 11 - 1 = 10, offset = (505 + 495) / 2 = 500.
    expect(sync.add({ t0: 1000, t1: 1505, t2: 1506, t3: 1011 })).toBe(true);
    const e = sync.estimate();
    expect(e).toMatchObject({ offset: 500, drift: 0, at: 1011, rtt: 10, samples: 1, windowSamples: 1 });
    // One sample, so the whole round trip could have been one-sided: the bound is at least rtt / 2.
    expect(e?.uncertainty).toBeGreaterThanOrEqual(5);
    expect(sync.toHost(1011)).toBe(1511);
  });

  it('trusts the lowest round trip: a queued answer barely moves the estimate', () => {
    const sync = new ClockSync({ resolutionMs: 0 });
    for (let i = 0; i < 6; i++) sync.add(exchange(T0 + i * 100, 500, 1));
    const before = sync.estimate()?.offset ?? Number.NaN;
    // 40 ms of queuing on the way back only: this sample's offset is 20 ms low.
    sync.add(exchange(T0 + 600, 500, 41, 1 / 41));
    expect(sync.estimate()?.offset).toBeCloseTo(before, 3);
    expect(before).toBeCloseTo(500, 6);
  });

  it.each([
    ['a non-finite time', { t0: 0, t1: Number.NaN, t2: 1, t3: 2 }],
    ['an infinite time', { t0: 0, t1: 1, t2: 1, t3: Number.POSITIVE_INFINITY }],
    ['an answer received before the probe was sent (t3 < t0)', { t0: 10, t1: 5, t2: 5, t3: 9 }],
    ['a host that answered before it received (t2 < t1)', { t0: 0, t1: 6, t2: 5, t3: 10 }],
    ['a negative round trip', { t0: 0, t1: 100, t2: 110, t3: 5 }],
  ])('rejects an impossible sample: %s', (_name, sample) => {
    const sync = new ClockSync();
    expect(sync.add(sample)).toBe(false);
    expect(sync.estimate()).toBeNull();
    expect(sync.stats.rejected).toBe(1);
  });

  it('clamps a round trip just below zero (clock resolution) to zero instead of rejecting it', () => {
    const sync = new ClockSync({ resolutionMs: 0.1 });
    expect(sync.add({ t0: 0, t1: 500, t2: 500.1, t3: 0.05 })).toBe(true);
    expect(sync.estimate()?.rtt).toBe(0);
  });

  it('ignores a sample older than the window', () => {
    const sync = new ClockSync({ windowMs: 10_000 });
    sync.add(exchange(T0 + 20_000, 500, 1));
    expect(sync.add(exchange(T0, 500, 1))).toBe(false);
    expect(sync.estimate()?.windowSamples).toBe(1);
  });

  it('throws ClockNotSyncedError from toHost and toLocal before the first sample', () => {
    const sync = new ClockSync();
    expect(sync.estimate()).toBeNull();
    expect(sync.ready).toBe(false);
    expect(sync.uncertaintyAt(T0)).toBe(Number.POSITIVE_INFINITY);
    expect(() => sync.toHost(T0)).toThrow(ClockNotSyncedError);
    expect(() => sync.toLocal(T0)).toThrow(ClockNotSyncedError);
  });

  it('toHost and toLocal invert each other with drift, at epoch-sized times, to a microsecond', () => {
    const [run] = simulate({ seeds: [7], net: LAN, drift: 1e-4, durationMs: 20_000 });
    const sync = run?.sync;
    if (!sync) throw new Error('no run');
    expect(Math.abs(sync.estimate()?.drift ?? 0)).toBeGreaterThan(5e-5);
    for (const local of [T0, T0 + 20_000, T0 + 3_600_000, T0 - 86_400_000]) {
      expect(Math.abs(sync.toLocal(sync.toHost(local)) - local)).toBeLessThan(1e-3);
      const host = local + HOST_AHEAD;
      expect(Math.abs(sync.toHost(sync.toLocal(host)) - host)).toBeLessThan(1e-3);
    }
  });

  it('is ready across the internet too: a long round trip widens the bound, it does not stop playback', () => {
    const sync = new ClockSync();
    for (let i = 0; i < 10; i++) sync.add(exchange(T0 + i * 100, 500, 180));
    expect(sync.ready).toBe(true);
    expect(sync.estimate()?.uncertainty).toBeGreaterThanOrEqual(90);
    // A bound of seconds (a stall) is not believed.
    const stalled = new ClockSync();
    for (let i = 0; i < 10; i++) stalled.add(exchange(T0 + i * 100, 500, 2500));
    expect(stalled.ready).toBe(false);
  });

  it('reset() forgets every sample, e.g. after the host reconnects', () => {
    const sync = new ClockSync();
    for (let i = 0; i < 10; i++) sync.add(exchange(T0 + i * 100, 500, 1));
    expect(sync.ready).toBe(true);
    sync.reset();
    expect(sync.estimate()).toBeNull();
    expect(sync.ready).toBe(false);
    expect(sync.add(exchange(T0, -20, 1))).toBe(true);
    expect(sync.estimate()?.offset).toBeCloseTo(-20, 6);
  });

  it('rejects nonsensical options with a TypeError', () => {
    expect(() => new ClockSync({ windowMs: -1 })).toThrow(TypeError);
    expect(() => new ClockSync({ maxSamples: 0 })).toThrow(TypeError);
    expect(() => new ClockSync({ resolutionMs: Number.NaN })).toThrow(TypeError);
  });

  it('keeps at most maxSamples samples', () => {
    const sync = new ClockSync({ maxSamples: 16 });
    for (let i = 0; i < 40; i++) sync.add(exchange(T0 + i * 100, 500, 1));
    expect(sync.estimate()?.windowSamples).toBe(16);
  });
});

describe('ClockSync in simulated networks', () => {
  it('on a symmetric LAN (0.5 ms each way + 0.2 ms jitter) is ready within 2 s and within 0.1 ms from then on', () => {
    const runs = simulate({ seeds: [1, 2, 3, 4], net: LAN, durationMs: 20_000 });
    for (const run of runs) {
      expect(run.readyAt).toBeLessThanOrEqual(2_000);
      expect(maxAbsError(run, 2_000)).toBeLessThan(0.1);
      expect(worstBoundUse(run)).toBeLessThanOrEqual(1);
      expect(run.sync.stats.steps).toBe(0);
    }
    report.lan = `ready ${Math.max(...runs.map((r) => r.readyAt))} ms, max |error| after 2 s ${ms(
      Math.max(...runs.map((r) => maxAbsError(r, 2_000))),
    )}, uncertainty ${ms(runs[0]?.sync.estimate()?.uncertainty ?? Number.NaN)}`;
  });

  it('probes every 50 ms until ready, every 100 ms until synced over a few seconds, then every 500 ms', () => {
    const sync = new ClockSync();
    expect(sync.nextProbeDelayMs()).toBe(50);
    const [run] = simulate({ seeds: [5], net: LAN, durationMs: 10_000 });
    expect(run?.sync.ready).toBe(true);
    expect(run?.sync.nextProbeDelayMs()).toBe(500);
    // 8 probes to ready (0.4 s), 22 more fast ones (2.2 s), then 2 a second for the remaining 7.4 s.
    expect(run?.exchanges.length).toBeGreaterThan(40);
    expect(run?.exchanges.length).toBeLessThan(50);
  });

  it('with jitter much heavier on the way back, stays several times closer than the mean or the median offset', () => {
    const runs = simulate({
      seeds: [1, 2, 3],
      net: { upBaseMs: 1, downBaseMs: 1, upJitter: jitter.exp(0.2), downJitter: jitter.exp(2), loss: 0.05 },
      durationMs: 60_000,
    });
    for (const run of runs) {
      const naive = naiveErrors(run);
      const worst = maxAbsError(run, 5_000);
      const typical = rmsError(run, 5_000);
      expect(typical * 5).toBeLessThan(Math.abs(naive.mean));
      expect(typical * 3).toBeLessThan(Math.abs(naive.median));
      expect(worst * 2.5).toBeLessThan(Math.abs(naive.mean));
      expect(worstBoundUse(run)).toBeLessThanOrEqual(1);
      report[`asymmetric jitter, seed ${run.seed}`] =
        `after 5 s: rms error ${ms(typical)}, max ${ms(worst)}; naive mean ${ms(naive.mean)}, median ${ms(naive.median)}`;
    }
  });

  it('with unequal base delays (1 ms up, 3 ms down), reports the asymmetry it cannot see in its uncertainty', () => {
    const runs = simulate({
      seeds: [1, 2, 3],
      net: { upBaseMs: 1, downBaseMs: 3, upJitter: jitter.exp(0.3), downJitter: jitter.exp(1), loss: 0.05 },
      durationMs: 30_000,
    });
    for (const run of runs) {
      const final = run.checkpoints[run.checkpoints.length - 1];
      // The best possible answer is 1 ms low: (up - down) / 2 is invisible to any two-way exchange.
      expect(final?.error).toBeLessThan(-0.9);
      expect(final?.error).toBeGreaterThan(-1.5);
      expect(worstBoundUse(run)).toBeLessThanOrEqual(1);
      expect(Math.abs(naiveErrors(run).mean)).toBeGreaterThan(Math.abs(final?.error ?? 0));
      report[`unequal paths, seed ${run.seed}`] =
        `final error ${ms(final?.error ?? Number.NaN)} (1 ms is unobservable), uncertainty ${ms(final?.bound ?? Number.NaN)}`;
    }
  });

  it('follows 100 ppm of drift for 10 minutes within 0.3 ms, and measures it within 5 ppm', () => {
    const runs = simulate({
      seeds: [1, 2],
      net: { ...LAN, upJitter: jitter.exp(0.3), downJitter: jitter.exp(0.3), loss: 0.05, spikeRate: 0.03 },
      drift: 1e-4,
      durationMs: 600_000,
    });
    for (const run of runs) {
      expect(maxAbsError(run, 2_000)).toBeLessThan(0.3);
      expect(worstBoundUse(run)).toBeLessThanOrEqual(1);
      // Once the window spans a minute, the drift is known to a few ppm at every checkpoint.
      const sync = new ClockSync({ resolutionMs: 0.005 });
      let worstPpm = 0;
      for (const x of run.exchanges) {
        sync.add(x.sample);
        if (x.sample.t3 - T0 >= 60_000)
          worstPpm = Math.max(worstPpm, Math.abs((sync.estimate()?.drift ?? 0) - 1e-4) * 1e6);
      }
      expect(worstPpm).toBeLessThan(5);
      report[`100 ppm drift, seed ${run.seed}`] =
        `max |error| after 2 s ${ms(maxAbsError(run, 2_000))}, worst drift error after 60 s ${worstPpm.toFixed(2)} ppm`;
    }
  });

  it('is not moved by queuing spikes: 10% of exchanges delayed 50-300 ms shift the estimate by < 0.2 ms', () => {
    const base = { ...LAN, loss: 0.02 };
    for (const seed of [1, 2, 3]) {
      const [clean] = simulate({ seeds: [seed], net: base, drift: 3e-5, durationMs: 60_000 });
      const [spiky] = simulate({
        seeds: [seed],
        net: { ...base, spikeRate: 0.1 },
        drift: 3e-5,
        durationMs: 60_000,
      });
      if (!clean || !spiky) throw new Error('no run');
      expect(maxAbsError(spiky, 2_000)).toBeLessThan(0.2);
      const end = T0 + 60_000;
      expect(Math.abs(spiky.sync.toHost(end) - clean.sync.toHost(end))).toBeLessThan(0.2);
      expect(worstBoundUse(spiky)).toBeLessThanOrEqual(1);
      expect(spiky.sync.stats.steps).toBe(0);
      report[`10% spikes, seed ${seed}`] =
        `max |error| after 2 s ${ms(maxAbsError(spiky, 2_000))} (without spikes ${ms(maxAbsError(clean, 2_000))}); naive mean ${ms(naiveErrors(spiky).mean)}`;
    }
  });

  it('ignores isolated answers whose offset contradicts their own round trip (a host stamping 20 ms off)', () => {
    const runs = simulate({
      seeds: [1, 2, 3],
      net: { ...LAN, corruptRate: 0.03, corruptMs: 20 },
      durationMs: 60_000,
    });
    for (const run of runs) {
      expect(run.sync.stats.disagreed).toBeGreaterThan(0);
      expect(run.sync.stats.steps).toBe(0);
      expect(maxAbsError(run, 2_000)).toBeLessThan(0.1);
    }
  });

  it.each([50, -50])(
    'follows a %d ms step of the host clock within 2 s, without averaging across it',
    (byMs) => {
      const stepAt = 20_000;
      const runs = simulate({
        seeds: [1, 2, 3],
        net: { ...LAN, loss: 0.05 },
        drift: 2e-5,
        steps: [{ atLocal: T0 + stepAt, byMs }],
        durationMs: 40_000,
      });
      for (const run of runs) {
        expect(maxAbsError(run, 2_000, stepAt - 1)).toBeLessThan(0.2);
        expect(maxAbsError(run, stepAt + 2_000)).toBeLessThan(0.2);
        expect(run.sync.stats.steps).toBe(1);
        const followed = run.checkpoints.find((c) => c.t > stepAt && Math.abs(c.error) < 0.2);
        report[`${byMs} ms step, seed ${run.seed}`] =
          `followed (|error| < 0.2 ms) ${((followed?.t ?? Number.NaN) - stepAt).toFixed(0)} ms after the step; max |error| from 2 s after ${ms(maxAbsError(run, stepAt + 2_000))}`;
      }
    },
  );

  it('on Wi-Fi-like paths (5 ms each way, heavy-tailed 0-40 ms jitter) stays within 2 ms and within its uncertainty', () => {
    const wifiJitter = jitter.heavy(1, 1.5, 40);
    const runs = simulate({
      seeds: [1, 2, 3],
      net: {
        upBaseMs: 5,
        downBaseMs: 5,
        upJitter: wifiJitter,
        downJitter: wifiJitter,
        loss: 0.05,
        spikeRate: 0.02,
      },
      drift: 5e-5,
      durationMs: 120_000,
    });
    for (const run of runs) {
      expect(maxAbsError(run, 2_000)).toBeLessThan(2);
      expect(worstBoundUse(run)).toBeLessThanOrEqual(1);
      expect(run.readyAt).toBeLessThan(3_000);
      report[`Wi-Fi, seed ${run.seed}`] =
        `max |error| after 2 s ${ms(maxAbsError(run, 2_000))}, uncertainty ${ms(
          run.sync.estimate()?.uncertainty ?? Number.NaN,
        )}, naive mean ${ms(naiveErrors(run).mean)}`;
    }
  });

  it('gives the same estimates for the same seed', () => {
    const a = simulate({ seeds: [9], net: LAN, durationMs: 5_000 })[0]?.sync.estimate();
    const b = simulate({ seeds: [9], net: LAN, durationMs: 5_000 })[0]?.sync.estimate();
    expect(a).toEqual(b);
  });
});
