import type { Browser, BrowserContext, Page } from '@playwright/test';
import { hooks } from './audioHooks.js';

export { waitAllInSync } from './members.js';

import {
  createRig,
  launchOnSink,
  onsets,
  type PulseServer,
  pairOnsets,
  type Rig,
  record,
  samplesToMs,
  startPulse,
} from './pulse.js';

/**
 * A jam whose every device plays into its own PulseAudio sink, recorded on one timeline, with the
 * host's microphone hearing all of them (tests/support/pulse.ts): what the E2E test of acoustic
 * calibration (tests/e2e/speakers.spec.ts) and the benchmark's speaker section (bench/speakers.ts)
 * both drive. One browser with a context per person, each page moved to its own sink with
 * setSinkId: four browser processes are more than this 2-core machine holds (measured: every
 * room's audio stalled every second).
 */
export const SPEAKERS = ['host', 'ana', 'ben', 'cy'] as const;
export type Speaker = (typeof SPEAKERS)[number];
const CLICK_PERIOD_MS = 500;

export interface SpeakerLab {
  pulse: PulseServer;
  rig: Rig;
  browser: Browser;
  close(): Promise<void>;
}

export async function startSpeakerLab(): Promise<SpeakerLab> {
  const pulse = await startPulse();
  const rig = await createRig(pulse, [...SPEAKERS], { mic: true }).catch(async (e) => {
    await pulse.stop();
    throw e;
  });
  // Pages play on the silent default sink until they pick their own; getUserMedia records the room.
  const browser = await launchOnSink(pulse, 'jamsesh_default', { micSource: 'jamsesh_mic' });
  return {
    pulse,
    rig,
    browser,
    async close() {
      await browser.close().catch(() => {});
      await rig.close().catch(() => {});
      await pulse.stop();
    },
  };
}

export interface SpeakerPerson {
  who: Speaker;
  name: string;
  page: Page;
  context: BrowserContext;
}

/**
 * Opens the jam's pages, the host first (hosting with `query`), each on its own speaker, which adds
 * `delays[who]` ms unannounced (as Bluetooth does); each page's click detector at its destination
 * runs. `enter` hosts or joins through the UI (the caller's: the E2E's fixtures or the benchmark's).
 */
export async function openSpeakerRoom(
  lab: SpeakerLab,
  baseURL: string,
  delays: Partial<Record<Speaker, number>>,
  enter: (page: Page, who: Speaker, code: string) => Promise<string>,
): Promise<SpeakerPerson[]> {
  const people: SpeakerPerson[] = [];
  let code = '';
  for (const who of Object.keys(delays) as Speaker[]) {
    const context = await lab.browser.newContext({ baseURL });
    // Functions handed to page.evaluate are serialized from compiled code that may call esbuild's
    // `__name` helper (under tsx, as in the benchmark): give the pages a harmless one.
    await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
    const page = await context.newPage();
    const p = { who, name: who[0]?.toUpperCase() + who.slice(1), page, context };
    people.push(p);
    code = await enter(page, who, code);
    if (!(await hooks(page).useOutputDevice(lab.rig.sinks[who] as string)))
      throw new Error(`no output ${who}`);
    await hooks(page).simulateSpeakerDelay(delays[who] ?? 0);
    await hooks(page).startProbe();
  }
  return people;
}

export interface SpeakerSkews {
  /** Per listener: each of its clicks at its speaker less the host's same click (ms, + later). */
  speaker: number[][];
  /** Per listener: the same at the audio destinations, where the app places the sound (ms). */
  destination: number[][];
}

/** Records `ms` of every speaker and each page's destination clicks; compares every listener with the host. */
export async function measureSpeakers(
  lab: SpeakerLab,
  people: SpeakerPerson[],
  ms: number,
): Promise<SpeakerSkews> {
  const host = people[0] as SpeakerPerson;
  const from = await hooks(host.page).now();
  const rec = await record(lab.pulse, lab.rig.recMonitor, lab.rig.channels);
  await new Promise((r) => setTimeout(r, ms));
  const channels = await rec.stop();
  const clicks = people.map((p) =>
    onsets(channels[SPEAKERS.indexOf(p.who)] ?? new Float32Array(0), { threshold: 0.2, quietMs: 100 }),
  );
  const speaker = clicks
    .slice(1)
    .map((c) => pairOnsets(clicks[0] ?? [], c, 48 * 200).map((d) => samplesToMs(d)));
  const dest = await Promise.all(
    people.map(async (p) => (await hooks(p.page).clicks()).filter((t) => t >= from && t < from + ms)),
  );
  const destination = dest.slice(1).map((c) =>
    c
      .map((t) => {
        const h = (dest[0] ?? []).find((x) => Math.abs(x - t) < CLICK_PERIOD_MS / 2);
        return h === undefined ? Number.NaN : t - h;
      })
      .filter((x) => !Number.isNaN(x)),
  );
  return { speaker, destination };
}

export interface CalibrationOutcome {
  /** The panel's lines with every round's figure, for logs. */
  text: string;
  /** Per device of the run, in its order: its state and the offset it got (ms). */
  entries: Array<{ peerId: string; state: string; offsetMs: number }>;
}

/**
 * Clicks `button` on the host's page (Calibrate all, or Again for one device) and waits for that
 * run's outcome.
 */
export async function runCalibration(host: Page, button: () => Promise<void>): Promise<CalibrationOutcome> {
  const status = host.getByTestId('calibration-status');
  const previous = Number((await status.count()) ? await status.getAttribute('data-run') : 0);
  await button();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [run, phase] = (await status.count())
      ? [await status.getAttribute('data-run'), await status.getAttribute('data-phase')]
      : [null, null];
    if (run === String(previous + 1) && (phase === 'done' || phase === 'error')) {
      if (phase === 'error') throw new Error(`calibration failed: ${await status.textContent()}`);
      break;
    }
    if (Date.now() > deadline) throw new Error('calibration did not finish within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  const entries = await host.getByTestId('calibration-entry').evaluateAll((els) =>
    els.map((el) => ({
      peerId: el.getAttribute('data-peer-id') ?? '',
      state: el.getAttribute('data-state') ?? '',
      offsetMs: Number(el.getAttribute('data-offset')),
      text: `${el.textContent} (rounds ${el.getAttribute('data-rounds')} ms)`,
    })),
  );
  return {
    text: entries.map((e) => e.text).join('\n'),
    entries: entries.map(({ peerId, state, offsetMs }) => ({ peerId, state, offsetMs })),
  };
}
