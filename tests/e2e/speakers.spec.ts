import type { Page } from '@playwright/test';
import { skewStats } from '../support/pulse.js';
import {
  measureSpeakers,
  openSpeakerRoom,
  runCalibration,
  type SpeakerLab,
  type SpeakerPerson,
  startSpeakerLab,
  waitAllInSync,
} from '../support/speakers.js';
import { hooks, quantile } from './audio-helpers.js';
import { expect, hostJam, joinJam, test } from './fixtures.js';

/**
 * Sync where people hear it: at the real audio output. Every person's page plays into its own
 * PulseAudio sink; one recorder holds all sinks on one sample-aligned timeline, and the host's
 * microphone is a PulseAudio source that hears every sink mixed, as a phone on the sofa hears every
 * speaker in the room (tests/support/speakers.ts). Ana's speaker adds a delay the browser does not
 * know of (as Bluetooth or a TV's sound processing does): the app cannot see it at its audio
 * destination, only a microphone can.
 */
let lab: SpeakerLab;

test.beforeAll(async () => {
  lab = await startSpeakerLab();
});

test.afterAll(async () => {
  await lab?.close();
});

const median = (xs: number[]) => quantile(xs, 0.5);

async function enter(page: Page, who: string, code: string): Promise<string> {
  // latencyHint 'playback': larger output buffers ride out this machine's stalls (sync.spec.ts).
  const person = { name: who[0]?.toUpperCase() + who.slice(1), page };
  if (who === 'host') return hostJam(person, '?latency=playback');
  await joinJam(person, code, '?latency=playback');
  return code;
}

test.describe('sync at the speaker: acoustic calibration', () => {
  test("the host's microphone finds a speaker delay the browser cannot see, and calibration takes it out; one device re-calibrates alone", async ({
    baseURL,
  }) => {
    test.setTimeout(180_000);
    const people: SpeakerPerson[] = await openSpeakerRoom(
      lab,
      baseURL as string,
      { host: 0, ana: 40 },
      enter,
    );
    const [host, ana] = people as [SpeakerPerson, SpeakerPerson];
    await host.page.getByTestId('source-test').click();
    expect(await waitAllInSync(host.page, 2)).toBe(true);
    await host.page.waitForTimeout(3000);

    const before = await measureSpeakers(lab, people, 6000);
    const speakerBefore = median(before.speaker[0] ?? []);
    const destBefore = median(before.destination[0] ?? []);
    console.log(
      `before: Ana's clicks ${speakerBefore.toFixed(1)} ms after the host's at the speakers (${before.speaker[0]?.length} clicks), ${destBefore.toFixed(2)} ms at the audio destinations`,
    );
    // The recorder hears both speakers. What it sees here is printed, not asserted: on this loaded
    // 2-core machine a page's real output can sit tens of ms from where the browser says for
    // seconds at a time (PulseAudio underruns; CI saw Ana at +2 and at +109 ms in two attempts,
    // with her speaker's 40 ms on). docs/sync.md, "Measured at the speakers".
    expect(before.speaker[0]?.length ?? 0).toBeGreaterThanOrEqual(6);

    const run = await runCalibration(host.page, () => host.page.getByTestId('calibrate-all').click());
    console.log(run.text);
    expect(run.entries.map((e) => e.state)).toEqual(['heard', 'heard']);
    await expect(
      host.page.locator('[data-testid=member-calibration][data-calibration=calibrated]'),
    ).toHaveCount(2, {
      timeout: 10_000,
    });
    await expect(
      ana.page.locator('[data-testid=member][data-self=true] [data-testid=member-calibration]'),
    ).toHaveAttribute('data-calibration', 'calibrated');
    const [hostOffset, anaOffset] = run.entries.map((e) => e.offsetMs) as [number, number];
    const found = hostOffset - anaOffset;
    console.log(
      `the microphone found Ana ${found.toFixed(1)} ms behind the host (recorder: ${speakerBefore.toFixed(1)}; speaker delay set: 40)`,
    );
    // Her speaker's 40 ms is what it finds when the outputs hold still (29-47 ms in most runs here).
    // Not asserted: on this loaded 2-core machine a page's real output can move by tens of ms for
    // seconds at a time, and a calibration in such a moment measures that (once -53 ms in 11 runs).
    // The accuracy of the search itself is src/sync/Calibration.test.ts's; the figures at the
    // speakers are printed here and by `npm run bench -- --runs spk-1,spk-3`.
    expect(Number.isFinite(found)).toBe(true);
    await host.page.waitForTimeout(3000);

    // The offsets are applied: at the destinations Ana now plays earlier than the host by what was
    // found, and at the speakers the 40 ms are gone.
    const after = await measureSpeakers(lab, people, 10_000);
    const destAfter = median(after.destination[0] ?? []);
    const speakerAfter = median(after.speaker[0] ?? []);
    const s = skewStats(after.speaker[0] ?? []);
    console.log(
      `after: at the speakers median ${speakerAfter.toFixed(1)} ms, |skew| p95 ${s.p95.toFixed(1)}, max ${s.max.toFixed(1)} (${s.n} clicks); at the destinations ${destAfter.toFixed(2)} ms`,
    );
    expect(Math.abs(destAfter - destBefore + found)).toBeLessThan(8);
    expect(s.n).toBeGreaterThanOrEqual(10);

    // Ana's speaker changes (another Bluetooth device): her device alone is measured again, against
    // the host, which keeps its offset.
    expect(await hooks(ana.page).simulateSpeakerDelay(100)).toBe(true);
    const again = await runCalibration(host.page, () =>
      host.page
        .locator('[data-testid=calibration-entry]', { hasText: 'Ana' })
        .getByTestId('calibrate-one')
        .click(),
    );
    console.log(again.text);
    expect(again.entries.map((e) => e.state)).toEqual(['heard', 'heard']);
    const [ref, ana2] = again.entries.map((e) => e.offsetMs) as [number, number];
    console.log(`Ana's new speaker found ${(ref - ana2).toFixed(1)} ms behind the host (set: 100)`);
    expect(ref).toBe(hostOffset);
    // Her new offset is her own: the 60 ms more of her new speaker shows in it (75-100 ms here).
    expect(ref - ana2).toBeGreaterThan(found);
  });
});
