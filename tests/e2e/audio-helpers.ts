import { expect, type Page } from '@playwright/test';
import type { LinkRate, ScheduleJumps } from '../../src/client/media/worker/messages.js';
import { type Evaluates, hooks } from '../support/audioHooks.js';

export { hooks };

export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.round(q * (s.length - 1)))] ?? Number.NaN;
}

/**
 * Groups the clicks of all devices by which click they are (the period is far longer than any skew)
 * and returns, per click heard by every listener, the spread between listeners (max - min), and per
 * listener click the distance to the host device's same click. clicks[0] is the host device.
 */
export function compareClicks(
  clicks: number[][],
  periodMs: number,
): { listenerSpread: number[]; toHost: number[] } {
  const origin = (clicks[0] as number[])[0] ?? (clicks[1] as number[])[0] ?? 0;
  const byIndex = (c: number[]) => new Map(c.map((t) => [Math.round((t - origin) / periodMs), t]));
  const [host, ...listeners] = clicks.map(byIndex) as [Map<number, number>, ...Map<number, number>[]];
  const listenerSpread: number[] = [];
  const toHost: number[] = [];
  for (const k of (listeners[0] ?? new Map<number, number>()).keys()) {
    const times = listeners.map((l) => l.get(k)).filter((t): t is number => t !== undefined);
    if (times.length === listeners.length) listenerSpread.push(Math.max(...times) - Math.min(...times));
    const h = host.get(k);
    if (h !== undefined) for (const t of times) toHost.push(Math.abs(t - h));
  }
  return { listenerSpread, toHost };
}

/**
 * Per listener, the median signed distance (ms) from each of its clicks to the host device's same
 * click: + plays later than the host. A whole device displaced shows here, where the spread hides it.
 */
export function offsetsToHost(clicks: number[][], periodMs: number): number[] {
  const host = clicks[0] ?? [];
  return clicks.slice(1).map((c) => {
    const d = c
      .map((t) => {
        const h = host.find((x) => Math.abs(x - t) < periodMs / 2);
        return h === undefined ? Number.NaN : t - h;
      })
      .filter((x) => !Number.isNaN(x));
    return quantile(d, 0.5);
  });
}

/** A 16-bit stereo WAV of `seconds` with a sharp click every `periodSec` (the same shape as the app's click track). */
export function clickWav(seconds: number, periodSec = 0.5, rate = 48_000): Buffer {
  const frames = Math.round(seconds * rate);
  const data = Buffer.alloc(frames * 4);
  const period = Math.round(periodSec * rate);
  const clickLen = Math.round(0.002 * rate);
  for (let start = 0; start < frames; start += period) {
    for (let i = 0; i < clickLen && start + i < frames; i++) {
      const v = Math.round(
        0.9 * 32767 * Math.cos((2 * Math.PI * 3000 * i) / rate) * Math.exp(-i / (clickLen / 3)),
      );
      data.writeInt16LE(v, (start + i) * 4);
      data.writeInt16LE(v, (start + i) * 4 + 2);
    }
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(2, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 4, 28);
  header.writeUInt16LE(4, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

interface DeviceSnapshot {
  clock: { offset: number; uncertainty: number; rtt: number } | null;
  outputClock: { steps: number; scatterMs: number } | null;
  playout: { errorMs: number; hardResyncs: number; targetSteps: number } | null;
  host: {
    decodeOdd?: number;
    scheduleJumps?: ScheduleJumps | null;
    captureSteps?: number;
    timelineRedraws?: number;
    encoders?: number[];
    linkRates?: LinkRate[];
    prefilled?: number;
  } | null;
  listener: { decodeOdd?: number; scheduleJumps?: ScheduleJumps | null } | null;
}

/**
 * One line per device on where a displacement could come from. All pages of one machine share its
 * clock, so a listener's estimated offset to the host is its clock-sync error itself (true value 0).
 */
export async function describeDevices(
  pages: Evaluates[],
  clicks: number[][],
  periodMs: number,
): Promise<string> {
  const offsets = offsetsToHost(clicks, periodMs);
  const lines = await Promise.all(
    pages.map(async (page, i) => {
      const s = await hooks(page).snapshot<DeviceSnapshot>();
      const parts = [i === 0 ? 'host' : `listener ${i}: ${offsets[i - 1]?.toFixed(2)} ms vs host`];
      if (s.clock)
        parts.push(
          `clock error ${s.clock.offset.toFixed(2)} ms (bound ${s.clock.uncertainty.toFixed(2)}, rtt ${s.clock.rtt.toFixed(2)})`,
        );
      if (s.playout)
        parts.push(
          `playout error ${s.playout.errorMs.toFixed(2)} ms, ${s.playout.hardResyncs} resyncs, ${s.playout.targetSteps} target steps`,
        );
      if (s.outputClock)
        parts.push(
          `output clock ${s.outputClock.steps} steps, scatter ${s.outputClock.scatterMs.toFixed(2)} ms`,
        );
      parts.push(`odd decodes ${s.host?.decodeOdd ?? s.listener?.decodeOdd ?? 0}`);
      if (s.host) {
        parts.push(`capture clock steps ${s.host.captureSteps}, timeline redraws ${s.host.timelineRedraws}`);
        const rates = (s.host.linkRates ?? []).map((r) => `${r.kbps} (${r.downs} down, ${r.ups} up)`);
        parts.push(`encoders ${s.host.encoders?.join('+')} kbps; listeners' kbps ${rates.join(', ')}`);
        parts.push(`${s.host.prefilled} frames prefilled for new listeners`);
      }
      const j = s.host?.scheduleJumps ?? s.listener?.scheduleJumps;
      if (j)
        parts.push(
          `schedule jumps: output ${j.output}, clock ${j.clock}, media ${j.media}, delay ${j.delay}, last [${j.last.join(' ')}]`,
        );
      return parts.join('; ');
    }),
  );
  return lines.join('\n');
}

/**
 * Lets the playout settle for `settleMs`, then records `ms` of clicks at every page's output: the
 * local times (one clock for all pages of this machine) at which each page's clicks left it.
 */
export async function recordClicks(pages: Page[], settleMs = 5000, ms = 10_000): Promise<number[][]> {
  const first = pages[0] as Page;
  await first.waitForTimeout(settleMs);
  const from = await hooks(first).now();
  await first.waitForTimeout(ms);
  const to = from + ms;
  return Promise.all(pages.map(async (p) => (await hooks(p).clicks()).filter((t) => t >= from && t < to)));
}

/** Waits until this device's own member entry says it is in sync. */
export async function expectInSync(page: Page, timeout = 30_000): Promise<void> {
  await expect(
    page.locator('[data-testid=member][data-self=true] [data-testid=member-sync]'),
  ).toHaveAttribute('data-in-sync', 'true', { timeout });
}
