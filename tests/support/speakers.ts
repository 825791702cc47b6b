import type { Browser, BrowserContext, Page } from '@playwright/test';
import { median } from '../../src/common/median.js';
import { calibrationSignal, findArrival } from '../../src/sync/Calibration.js';
import { CALIBRATION_SLOT_MS, EARLY_MS, LATE_MS } from '../../src/sync/CalibrationPlan.js';
import { hooks } from './audioHooks.js';

export { waitAllInSync } from './members.js';

import {
  createRig,
  launchOnSink,
  onsets,
  PULSE_RATE,
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
 * both drive. By default a Chromium process per person, each into its own sink, as separate
 * devices are (the rig); `startSpeakerLab('pages')` puts every person in one browser instead,
 * each page moved to its own sink with setSinkId.
 */
export const SPEAKERS = ['host', 'ana', 'ben', 'cy'] as const;
export type Speaker = (typeof SPEAKERS)[number];
const CLICK_PERIOD_MS = 500;

export interface SpeakerLab {
  pulse: PulseServer;
  rig: Rig;
  /**
   * 'processes': a Chromium process per person, each playing into its own sink (PULSE_SINK), as
   * separate devices do. 'pages': one browser, each page moved to its own sink with setSinkId.
   */
  layout: SpeakerLayout;
  /** The browser a person's page opens in. */
  browserFor(who: Speaker): Promise<Browser>;
  close(): Promise<void>;
}

export type SpeakerLayout = 'processes' | 'pages';

export async function startSpeakerLab(layout: SpeakerLayout = 'processes'): Promise<SpeakerLab> {
  const pulse = await startPulse();
  const rig = await createRig(pulse, [...SPEAKERS], { mic: true }).catch(async (e) => {
    await pulse.stop();
    throw e;
  });
  const browsers = new Map<string, Promise<Browser>>();
  // The host's getUserMedia records the room (the mic source hears every sink).
  const launch = (key: string, sink: string, mic: boolean) => {
    let b = browsers.get(key);
    if (!b) {
      b = launchOnSink(pulse, sink, mic ? { micSource: 'jamsesh_mic' } : {});
      browsers.set(key, b);
    }
    return b;
  };
  return {
    pulse,
    rig,
    layout,
    browserFor: (who) =>
      layout === 'processes'
        ? launch(who, rig.sinks[who] as string, who === 'host')
        : // Pages play on the silent default sink until they pick their own.
          launch('one', 'jamsesh_default', true),
    async close() {
      for (const b of browsers.values()) await (await b.catch(() => null))?.close().catch(() => {});
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
    const context = await (await lab.browserFor(who)).newContext({ baseURL });
    // Functions handed to page.evaluate are serialized from compiled code that may call esbuild's
    // `__name` helper (under tsx, as in the benchmark): give the pages a harmless one.
    await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
    const page = await context.newPage();
    const p = { who, name: who[0]?.toUpperCase() + who.slice(1), page, context };
    people.push(p);
    code = await enter(page, who, code);
    if (lab.layout === 'pages' && !(await hooks(page).useOutputDevice(lab.rig.sinks[who] as string)))
      throw new Error(`no output ${who}`);
    await hooks(page).simulateSpeakerDelay(delays[who] ?? 0);
    await hooks(page).startProbe();
  }
  return people;
}

/**
 * Waits until every page's click detector hears the click track at its audio destination (a click
 * in the last 1.5 s of its own clock): a page plays only once its output clock has settled, which
 * on a loaded machine can take seconds after everyone was seen in sync. Resolves with who is not
 * playing after `timeoutMs` (empty: all are), each with its audio state, for the failure message.
 */
export async function waitAllPlaying(people: SpeakerPerson[], timeoutMs = 30_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const silent: SpeakerPerson[] = [];
    for (const p of people) {
      const h = hooks(p.page);
      const [now, clicks] = await Promise.all([h.now(), h.clicks()]);
      if (!clicks.some((t) => t > now - 1500 && t <= now + 1000)) silent.push(p);
    }
    if (silent.length === 0) return [];
    if (Date.now() > deadline) {
      return Promise.all(
        silent.map(async (p) => {
          const snap = await hooks(p.page).snapshot();
          const state = snap.state as { phase?: string } | undefined;
          return `${p.who} (audio ${state?.phase}, output clock ${JSON.stringify(snap.outputClock)}, playout ${JSON.stringify(snap.playout)})`;
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
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
  /** Per device of the run, in its order: its state, the offset it got and each round's error (ms; NaN: not heard). */
  entries: Array<{ peerId: string; state: string; offsetMs: number; rounds: number[] }>;
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
      rounds: el.getAttribute('data-rounds') ?? '',
      text: `${el.textContent} (rounds ${el.getAttribute('data-rounds')} ms)`,
    })),
  );
  return {
    text: entries.map((e) => e.text).join('\n'),
    entries: entries.map(({ peerId, state, offsetMs, rounds }) => ({
      peerId,
      state,
      offsetMs,
      rounds: rounds.split(' ').map((x) => (x === '' || x === '-' ? Number.NaN : Number(x))),
    })),
  };
}

/**
 * Runs a calibration of every device (`button`) while the recorder listens to every speaker, and
 * says what the speakers really did meanwhile: each device's chirps found on its own channel of the
 * recording (the same matched filter), against the host's in the same round, less the slots'
 * spacing, the median over rounds. That is the truth the microphone's figures are held to.
 */
export async function calibrateWhileRecording(
  lab: SpeakerLab,
  people: SpeakerPerson[],
  button: () => Promise<void>,
): Promise<CalibrationOutcome & { truth: Array<number | null>; slots: CalibrationSlotCheck[] }> {
  const host = people[0] as SpeakerPerson;
  const rec = await record(lab.pulse, lab.rig.recMonitor, lab.rig.channels);
  let channels: Float32Array[] = [];
  let outcome: CalibrationOutcome;
  try {
    outcome = await runCalibration(host.page, button);
  } finally {
    channels = await rec.stop();
  }
  const signal = calibrationSignal(PULSE_RATE);
  const arrivals = people.map((p) => {
    const ch = channels[SPEAKERS.indexOf(p.who)] ?? new Float32Array(0);
    const found: number[] = [];
    const step = PULSE_RATE / 2;
    for (let s = 0; s + step <= ch.length; s += step) {
      const a = findArrival(ch, signal, s, s + step, PULSE_RATE);
      if (a.heard && (found.length === 0 || a.sample - (found[found.length - 1] as number) > step))
        found.push(a.sample);
    }
    return found.map((x) => samplesToMs(x));
  });
  // Device i's chirp of round r is the one found where the app looks for it: CalibrationPlan's
  // window around i slots past the host's. Each against the host's, as the
  // microphone's figures are (anchoredErrors).
  const rounds = outcome.entries.map((e) => e.rounds);
  const slots: CalibrationSlotCheck[] = [];
  for (const [r, h] of (arrivals[0] ?? []).entries()) {
    for (let i = 1; i < people.length; i++) {
      const at = h + i * CALIBRATION_SLOT_MS;
      const heard = (arrivals[i] ?? []).find((a) => a >= at - EARLY_MS && a <= at + LATE_MS);
      const mic = (rounds[i]?.[r] ?? Number.NaN) - (rounds[0]?.[r] ?? Number.NaN);
      slots.push({
        who: (people[i] as SpeakerPerson).who,
        round: r,
        speakers: heard === undefined ? null : heard - at,
        mic: Number.isFinite(mic) ? mic : null,
      });
    }
  }
  const truth = people.map((p, i) => {
    if (i === 0) return 0;
    const d = slots.filter((x) => x.who === p.who && x.speakers !== null).map((x) => x.speakers as number);
    return d.length ? median(d) : null;
  });
  return { ...outcome, truth, slots };
}

/** One listener's chirp in one round: where the recorder heard it and where the microphone did, against the host's. */
export interface CalibrationSlotCheck {
  who: Speaker;
  round: number;
  /** At the speakers (the recorder), ms after the host's chirp of the round less the slots between. */
  speakers: number | null;
  /** The same from the host's microphone (its rounds, 0.1 ms steps). */
  mic: number | null;
}
