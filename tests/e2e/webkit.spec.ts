import { expect, test } from '@playwright/test';
import type { LoopbackReport, LoopbackWindow } from '../../src/client/testing/loopbackApi.js';
import { startPulse } from '../support/pulse.js';
import { startWebKitDriver, startXvfb, WebDriverSession, webkitMissing } from '../support/webkit.js';
import { quantile } from './audio-helpers.js';

/**
 * WebKit has no WebRTC in Debian's build, so it cannot join a room here; what it does have is tested
 * on the loopback page (src/client/testing/loopback.ts): the app's host and listener in one page,
 * their media workers linked by MessagePorts, the click track through the encoder, the clock sync,
 * the decoder, the schedule and the playout worklet to the listener's output, where the click probe
 * times each click through the output clock. Chromium runs the same page as the control.
 */

const DELAY_MS = 300;
/** How long the stream plays before the report is read. */
const RUN_MS = 20_000;
/**
 * Clicks are compared from this long after the start: in the first seconds the host's timeline is
 * drawn again as its capture clock learns the sound card (Timeline closes each gap over 8 s), and a
 * listener's media clock refits at each new line, a few ms from the stamps for a while (measured
 * here: Chromium 4-7 ms off for 6 s, then within 1 ms)...
 */
const SETTLE_FROM_START_MS = 8000;
/** ...and at least this long after the output clock became ready (its level settles). */
const SETTLE_MS = 1000;
/**
 * Clicks leave within this (ms) of where their stamps say: 90 % of them, and the median within
 * 2 ms. The margins of sync.spec.ts: an OS stall on a loaded 2-core machine moves an output for a
 * moment (measured here: Chromium's playout swung by 3 ms over a few seconds at load 10).
 */
const ON_TIME_MS = 5;
const CLICK_PERIOD_MS = 500;

const PAGE = '/testing/loopback.html';

async function startLab(delayMs: number): Promise<void> {
  const w = window as unknown as Partial<LoopbackWindow>;
  // WebDriver's navigation may return before the page's module has run.
  for (let i = 0; i < 100 && !w.__jamseshLoopback; i++) await new Promise((r) => setTimeout(r, 100));
  await (w.__jamseshLoopback as LoopbackWindow['__jamseshLoopback']).start({ delayMs });
}

async function readReport(): Promise<LoopbackReport> {
  return (window as unknown as LoopbackWindow).__jamseshLoopback.report();
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

type Counters = Record<string, number>;

/** Where the compared clicks start (local ms): the stream and the output clock settled. */
function windowFrom(r: LoopbackReport): number {
  const ready = r.outputClock.readyAt ?? Number.POSITIVE_INFINITY;
  return Math.max(r.startedAt + SETTLE_FROM_START_MS, ready + SETTLE_MS);
}

/** Each click stamped in the window (from the output clock's settling to D before the end) against where it was heard. */
function clickErrors(r: LoopbackReport): { expected: number; errors: number[]; missing: number } {
  const from = windowFrom(r);
  const to = r.at - DELAY_MS;
  const expected = r.expectedClicks.filter((t) => t >= from && t < to);
  const errors: number[] = [];
  for (const t of expected) {
    const heard = r.clicks.find((c) => Math.abs(c - t) < CLICK_PERIOD_MS / 2);
    if (heard !== undefined) errors.push(heard - t);
  }
  return { expected: expected.length, errors, missing: expected.length - errors.length };
}

/** What the page saw, as one line for the log (docs/browsers.md quotes it). */
function figures(engine: string, r: LoopbackReport): string {
  const playout = (r.playout ?? {}) as Counters;
  const host = (r.host ?? {}) as Counters;
  const listener = (r.listener ?? {}) as Record<string, unknown>;
  const { errors, missing } = clickErrors(r);
  const abs = errors.map(Math.abs);
  // What the browser says of its output, against performance.now().
  const got = r.readings.filter((x) => (x.performanceTime ?? 0) > 0);
  const first = got[0];
  const last = got.at(-1);
  const timestamps = first &&
    last && {
      gotAheadOfNowMs: [first, last].map((x) => round((x.performanceTime as number) - x.now)),
      gotPerfPerContextMs: round(
        ((last.performanceTime as number) - (first.performanceTime as number)) /
          (((last.contextTime as number) - (first.contextTime as number)) * 1000),
        3,
      ),
      currentMinusContextMs: round((last.currentTime - (last.contextTime as number)) * 1000, 2),
      contextPerWall: round(((last.currentTime - first.currentTime) * 1000) / (last.now - first.now), 4),
      outputLatencyMs: round(last.outputLatency * 1000, 2),
      baseLatencyMs: round(last.baseLatency * 1000, 2),
    };
  return JSON.stringify({
    engine,
    frames: {
      sent: r.framesSent,
      played: playout.framesReceived,
      late: playout.framesLate,
      underrunMs: round(playout.underrunMs ?? 0),
      hardResyncs: playout.hardResyncs,
    },
    host: {
      captureSteps: host.captureSteps,
      timelineRedraws: host.timelineRedraws,
      arriveP99: round(host.arriveP99 ?? 0),
    },
    clockOffsetMs: round((listener.clock as { offset?: number } | undefined)?.offset ?? Number.NaN, 3),
    outputClock: {
      source: r.outputClock.source,
      readyAfterMs: Math.round((r.outputClock.readyAt ?? Number.NaN) - r.startedAt),
      steps: r.outputClock.steps,
      scatterMs: round(r.outputClock.scatterMs, 2),
      renderLeadMs: round(r.outputClock.renderLeadMs, 1),
    },
    clicks: {
      heard: errors.length,
      missing,
      medianMs: round(quantile(errors, 0.5), 2),
      p95AbsMs: round(quantile(abs, 0.95), 2),
      maxAbsMs: round(Math.max(...abs), 2),
      errorsMs: errors.map((e) => round(e, 1)),
    },
    timestamps,
  });
}

/** What the page says, checked. `source` is where the engine's output clock is expected to come from. */
function check(engine: string, r: LoopbackReport, source: 'timestamp' | 'current-time'): void {
  const elapsedS = (r.at - r.startedAt) / 1000;
  // Frames: 100 a second from the host's encoder, every one decoded by the listener, none wrong.
  expect(r.streams, `${engine}: one stream (the encoder never restarted)`).toBe(1);
  expect(r.framesSent).toBeGreaterThan((elapsedS - 3) * 100);
  const listener = r.listener as Record<string, number | boolean> | null;
  expect(listener, `${engine}: the listener's worker reports`).not.toBeNull();
  expect(listener?.decodeErrors).toBe(0);
  expect(listener?.badFrames).toBe(0);
  expect(listener?.decodeUnmatched ?? 0).toBe(0);
  expect(listener?.decodeOdd ?? 0).toBe(0);
  expect(listener?.clockReady, `${engine}: clock sync with the host`).toBe(true);
  const playout = r.playout as Counters | null;
  // The playout's stats are up to half a second old (the worklet's and the page's 250 ms), and a
  // few frames are on their way (relay, decoder).
  expect(playout?.framesReceived).toBeGreaterThan(r.framesSent - 60);
  expect(r.framesDecodedHere).toBeGreaterThan(r.framesSent - 10);

  // The output clock: ready soon, from the expected source.
  expect(r.outputClock.ready, `${engine}: the output clock is ready`).toBe(true);
  expect(r.outputClock.source).toBe(source);
  expect((r.outputClock.readyAt as number) - r.startedAt).toBeLessThan(5000);

  // Clicks: those stamped in the window are heard (a stall may conceal one), on time: where the
  // stamp + D says, through the output clock.
  const { expected, errors, missing } = clickErrors(r);
  const windowMs = r.at - DELAY_MS - windowFrom(r);
  expect(expected, `${engine}: clicks in the window`).toBeGreaterThan((windowMs / CLICK_PERIOD_MS) * 0.9);
  expect(missing, `${engine}: clicks heard`).toBeLessThanOrEqual(1);
  expect(Math.abs(quantile(errors, 0.5)), `${engine}: the median click on time`).toBeLessThan(2);
  const onTime = errors.filter((e) => Math.abs(e) < ON_TIME_MS).length;
  expect(onTime / errors.length, `${engine}: clicks within ${ON_TIME_MS} ms`).toBeGreaterThanOrEqual(0.9);
}

test.describe('WebKit: what it has, without WebRTC (loopback page)', () => {
  test('Chromium (the control): clicks through encode, clock sync, decode, schedule and playout leave on time', async ({
    page,
  }) => {
    await page.goto(PAGE);
    await page.evaluate(startLab, DELAY_MS);
    await page.waitForTimeout(RUN_MS);
    const report = await page.evaluate(readReport);
    console.log(figures('chromium', report));
    check('chromium', report, 'timestamp');
  });

  test("WebKitGTK: the same, its output clock from currentTime (its getOutputTimestamp() runs at twice the context's rate)", async ({
    baseURL,
  }) => {
    const missing = webkitMissing();
    if (missing) throw new Error(`${missing} missing: run scripts/install-test-deps.sh`);
    const driverPort = Number(process.env.E2E_WEBKIT_DRIVER_PORT);
    // WebKitGTK plays through GStreamer; a private PulseAudio gives it a sound server, as on a desktop.
    const pulse = await startPulse();
    const display = await startXvfb();
    const driver = await startWebKitDriver(driverPort, { DISPLAY: display.name, ...pulse.env });
    let session: WebDriverSession | null = null;
    try {
      session = await WebDriverSession.create(driver.url);
      await session.navigate(`${baseURL}${PAGE}`);
      await session.executeAsync(startLab, DELAY_MS);
      await new Promise((r) => setTimeout(r, RUN_MS));
      const report = await session.executeAsync(readReport);
      console.log(figures(`webkitgtk ${session.browserVersion}`, report));
      check('webkitgtk', report, 'current-time');
    } finally {
      await session?.delete().catch(() => {});
      await driver.stop();
      await display.stop();
      await pulse.stop();
    }
  });
});
