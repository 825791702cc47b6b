import { waitAllInSync } from '../support/members.js';
import {
  compareClicks,
  describeDevices,
  hooks,
  offsetsToHost,
  quantile,
  recordClicks,
} from './audio-helpers.js';
import { expect, hostJam, joinJam, test } from './fixtures.js';

interface DecoderSnapshot {
  host: { decoder?: string | null } | null;
  listener: { decoder?: string | null; decodeErrors?: number; decodeOdd?: number } | null;
}

test.describe('the WebAssembly Opus decoder (the fallback for browsers without WebCodecs audio)', () => {
  test('gives the same samples at the same places as WebCodecs, from the same packets', async ({
    person,
  }) => {
    const page = (await person('Dee')).page;
    await page.goto('/');
    await page.waitForFunction(() => '__jamsesh' in window);
    // 1000 packets of 10 ms, and one more from the encoder's flush (its lookahead).
    const packets = await hooks(page).prepareDecodeTest(10);
    expect(packets).toBeGreaterThanOrEqual(1000);
    for (const kind of ['webcodecs', 'wasm'] as const) {
      const run = await hooks(page).decodePrepared(kind);
      expect(run).toMatchObject({ frames: packets, inOrder: true, odd: 0, unmatched: 0, errors: 0 });
    }
    const c = await hooks(page).compareDecodes();
    console.log(
      `WebCodecs vs WebAssembly, 10 s: clicks at ${c.clicks.wasm.length} places; max sample difference ${c.maxDiff.toExponential(2)}, difference RMS ${(c.relativeRms * 100).toFixed(4)} % of the signal's`,
    );
    expect(c.samples).toEqual([packets * 480, packets * 480]);
    expect(c.clicks.webcodecs).toHaveLength(20);
    // Sample for sample: the codec delay is the same (no pre-skip trimmed by either), so the one
    // compensation in the playout (OPUS_DELAY_SAMPLES) is right for both.
    expect(c.clicks.wasm).toEqual(c.clicks.webcodecs);
    expect(c.relativeRms).toBeLessThan(0.001);
  });

  test('a listener forced to it with ?decoder=wasm plays every click in step with a WebCodecs listener', async ({
    person,
  }) => {
    test.setTimeout(120_000);
    const hana = await person('Hana');
    const ana = await person('Ana');
    const will = await person('Will');
    const everyone = [hana, ana, will];
    // Who fetched the WebAssembly decoder's chunk (the media worker's requests count as its page's).
    const fetched = new Set<string>();
    for (const p of everyone) {
      p.page.context().on('request', (r) => {
        if (/\/opus-decoder-[^/]*\.js$/.test(r.url())) fetched.add(p.name);
      });
    }
    // latencyHint 'playback' as in sync.spec.ts: larger output buffers ride out this machine's stalls.
    const code = await hostJam(hana, '?latency=playback');
    await joinJam(ana, code, '?latency=playback');
    await joinJam(will, code, '?latency=playback&decoder=wasm');
    for (const p of everyone) expect(await hooks(p.page).startProbe()).toBe(true);

    await hana.page.getByTestId('source-test').click();
    for (const l of [ana, will])
      await expect(l.page.getByTestId('now-playing')).toContainText(/click track/i);
    expect(await waitAllInSync(hana.page, 3, 30_000)).toBe(true);
    // The setting reached the worker: Will decodes in WebAssembly, the others with WebCodecs.
    const decoderOf = async (p: typeof ana) => {
      const s = await hooks(p.page).snapshot<DecoderSnapshot>();
      return s.listener?.decoder ?? s.host?.decoder ?? null;
    };
    expect(await decoderOf(will)).toBe('wasm');
    expect(await decoderOf(ana)).toBe('webcodecs');
    expect(await decoderOf(hana)).toBe('webcodecs');
    // Only the device that runs it downloads it.
    expect([...fetched]).toEqual(['Will']);

    const clicks = await recordClicks(everyone.map((p) => p.page));
    console.log(
      `clicks in 10 s (host, WebCodecs listener, WebAssembly listener): ${clicks.map((c) => c.length).join(', ')}`,
    );
    const { listenerSpread } = compareClicks(clicks, 500);
    const [anaToHost, willToHost] = offsetsToHost(clicks, 500);
    console.log(
      `skew WebAssembly listener vs WebCodecs listener at the audio destination (${listenerSpread.length} clicks): median ${quantile(listenerSpread, 0.5).toFixed(2)} ms, p95 ${quantile(listenerSpread, 0.95).toFixed(2)} ms, max ${Math.max(...listenerSpread).toFixed(2)} ms; median vs host: WebCodecs ${anaToHost?.toFixed(2)} ms, WebAssembly ${willToHost?.toFixed(2)} ms`,
    );
    console.log(
      await describeDevices(
        everyone.map((p) => p.page),
        clicks,
        500,
      ),
    );
    const will_ = await hooks(will.page).snapshot<DecoderSnapshot>();
    expect(will_.listener?.decodeErrors ?? 0).toBe(0);
    expect(will_.listener?.decodeOdd ?? 0).toBe(0);
    // 20 clicks in 10 s; the margins are sync.spec.ts's: on a loaded 2-core machine an audio stall
    // now and then conceals a click, and moves one device's output for a moment.
    const [, anaClicks = [], willClicks = []] = clicks;
    expect(willClicks.length).toBeGreaterThanOrEqual(14);
    expect(willClicks.length).toBeGreaterThanOrEqual(anaClicks.length - 2);
    expect(listenerSpread.length).toBeGreaterThanOrEqual(3);
    expect(quantile(listenerSpread, 0.5)).toBeLessThan(2);
    expect(listenerSpread.filter((s) => s < 5).length / listenerSpread.length).toBeGreaterThanOrEqual(0.8);
  });

  test('the expert setting remembers the WebAssembly decoder on this device, from the next join', async ({
    person,
  }) => {
    const hana = await person('Hana');
    const code = await hostJam(hana);
    const ana = await person('Ana');
    await joinJam(ana, code);
    const decoder = async () =>
      expect
        .poll(async () => (await hooks(ana.page).snapshot<DecoderSnapshot>()).listener?.decoder ?? null)
        .not.toBeNull()
        .then(async () => (await hooks(ana.page).snapshot<DecoderSnapshot>()).listener?.decoder);
    expect(await decoder()).toBe('webcodecs');
    await ana.page.getByTestId('decoder-wasm').check();
    expect(await ana.page.evaluate(() => localStorage.getItem('jamsesh.decoder'))).toBe('wasm');
    // Taken up when the audio starts again: here, the page reloaded (it goes back into its room).
    await ana.page.reload();
    await expect(ana.page.getByTestId('room-code')).toHaveAttribute('data-code', code);
    await expect(ana.page.getByTestId('decoder-wasm')).toBeChecked();
    expect(await decoder()).toBe('wasm');
    await ana.page.getByTestId('decoder-wasm').uncheck();
    expect(await ana.page.evaluate(() => localStorage.getItem('jamsesh.decoder'))).toBeNull();
  });
});
