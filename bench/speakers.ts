import type { Page } from '@playwright/test';
import {
  calibrateWhileRecording,
  measureSpeakers,
  openSpeakerRoom,
  type Speaker,
  type SpeakerSkews,
  startSpeakerLab,
  waitAllInSync,
  waitAllPlaying,
} from '../tests/support/speakers.js';
import { median, type Summary, summarize } from './stats.js';
import { sleep } from './wait.js';

/**
 * The speaker section: sync where people hear it. Every device plays into its own PulseAudio sink
 * (tests/support/speakers.ts), each speaker adds a delay the browser does not know of (Bluetooth, a
 * TV), and one recorder holds all sinks on one timeline. Skew at the speakers before and after
 * acoustic calibration (the host's microphone is a PulseAudio source hearing every sink), beside
 * the skew at the audio destinations, where the app places the sound.
 */
export const SPEAKER_ROOMS = {
  'spk-1': { label: 'host + 1', delays: { host: 0, ana: 40 } },
  'spk-3': { label: 'host + 3', delays: { host: 0, ana: 45, ben: 15, cy: 90 } },
} satisfies Record<string, { label: string; delays: Partial<Record<Speaker, number>> }>;
export type SpeakerRoom = keyof typeof SPEAKER_ROOMS;

export interface SpeakerResult {
  room: string;
  seconds: number;
  /** The delays the speakers add unannounced (ms), listeners only. */
  set: number[];
  /** What calibration found for each listener: host's new offset less its (ms); null: not heard. */
  found: Array<number | null>;
  /** What the recorder heard at the speakers during the calibration, the same way (ms). */
  heard: Array<number | null>;
  /** Each chirp at the host's microphone less where the recorder heard it, both against the host's (ms). */
  chirpErrors: number[];
  before: { speaker: Summary; signed: number[]; destination: Summary };
  after: { speaker: Summary; signed: number[]; destination: Summary };
}

export async function runSpeakers(opts: {
  room: SpeakerRoom;
  seconds: number;
  baseURL: string;
  log: (line: string) => void;
}): Promise<SpeakerResult> {
  const { delays } = SPEAKER_ROOMS[opts.room];
  const lab = await startSpeakerLab();
  try {
    const enter = async (page: Page, who: Speaker, code: string) => {
      const path = who === 'host' ? '/?latency=playback' : `/join/${code}?latency=playback`;
      await page.goto(path);
      await page.getByTestId('name-input').fill(who);
      if (who === 'host') await page.getByTestId('host-button').click();
      else {
        await page.getByTestId('code-input').fill(code);
        await page.getByTestId('join-button').click();
      }
      const el = page.getByTestId('room-code');
      await el.waitFor({ timeout: 30_000 });
      for (let i = 0; i < 100 && !(await el.getAttribute('data-code')); i++) await sleep(100);
      return (await el.getAttribute('data-code')) ?? '';
    };
    const people = await openSpeakerRoom(lab, opts.baseURL, delays, enter);
    const host = people[0];
    if (!host) throw new Error('no host');
    await host.page.getByTestId('source-test').click();
    if (!(await waitAllInSync(host.page, people.length))) opts.log('not every device was seen in sync');
    const silent = await waitAllPlaying(people);
    if (silent.length > 0) opts.log(`not playing at the destination: ${silent.join('; ')}`);
    await sleep(5000);
    opts.log('measuring before calibration');
    const before = await measureSpeakers(lab, people, opts.seconds * 1000);
    const run = await calibrateWhileRecording(lab, people, () =>
      host.page.getByTestId('calibrate-all').click(),
    );
    opts.log(`calibration:\n${run.text}`);
    await sleep(3000);
    opts.log('measuring after calibration');
    const after = await measureSpeakers(lab, people, opts.seconds * 1000);
    const hostOffset = run.entries[0]?.offsetMs ?? 0;
    return {
      room: SPEAKER_ROOMS[opts.room].label,
      seconds: opts.seconds,
      set: Object.values(delays).slice(1),
      found: run.entries.slice(1).map((e) => (e.state === 'heard' ? hostOffset - e.offsetMs : null)),
      heard: run.truth.slice(1),
      chirpErrors: run.slots
        .filter((x) => x.mic !== null && x.speakers !== null)
        .map((x) => (x.mic as number) - (x.speakers as number)),
      before: summary(before),
      after: summary(after),
    };
  } finally {
    await lab.close();
  }
}

function chirps(errors: number[]): string {
  const s = summarize(errors.map(Math.abs));
  return `${s.median.toFixed(2)} / ${s.max.toFixed(2)} (${s.n})`;
}

function summary(s: SpeakerSkews): SpeakerResult['before'] {
  return {
    speaker: summarize(s.speaker.flat().map(Math.abs)),
    signed: s.speaker.map((d) => median(d)),
    destination: summarize(s.destination.flat().map(Math.abs)),
  };
}

export function speakerTable(results: SpeakerResult[]): string[] {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  const sum = (s: Summary) => `${f(s.median)} / ${f(s.p95)} / ${f(s.max)} (${s.n})`;
  const lines = [
    'Sync at the speakers (PulseAudio sinks recorded on one timeline; every listener against the host)',
    '| room | speaker delays set (ms) | at the destinations: |skew| median / p95 / max (clicks) | at the speakers before calibration | each listener before (median, ms) | calibration found (ms) | the speakers did meanwhile (ms) | chirps: microphone less recorder, |median| / max (n) | at the speakers after | each listener after (median, ms) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.room} | ${r.set.join(', ')} | ${sum(r.before.destination)} | ${sum(r.before.speaker)} | ${r.before.signed.map(f).join(', ')} | ${r.found.map((x) => (x === null ? 'not heard' : x.toFixed(1))).join(', ')} | ${r.heard.map((x) => (x === null ? '-' : x.toFixed(1))).join(', ')} | ${chirps(r.chirpErrors)} | ${sum(r.after.speaker)} | ${r.after.signed.map(f).join(', ')} |`,
    );
  }
  lines.push(
    'Target after calibration: p95 at most 1 ms at the speakers. Every device is a Chromium process of its own on its own sink. The microphone hears each chirp where the recorder does (to ~0.05 ms); what stays between calibration and the target is how far each real output moves after it was measured: on this loaded 2-core VM, now and then 5-100 ms away from where its browser says its sound leaves, and back (docs/sync.md).',
  );
  return lines;
}
