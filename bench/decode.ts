import type { Browser } from '@playwright/test';
import type { DecodeRun } from '../src/client/media/testHooksApi.js';
import { hooks } from '../tests/support/audioHooks.js';
import { closePeers, cpuSeconds, newPeer, rendererOf } from './browser.js';
import { median } from './stats.js';

/** Rounds per decoder, alternating, so that a stall of the machine does not land on one only. */
const ROUNDS = 5;

export interface DecodeResult {
  kind: DecodeRun['kind'];
  /** Renderer process CPU (all threads) per second of audio decoded, per round (ms). */
  cpuMsPerSecond: number[];
  /** Wall time per second of audio, per round (ms). */
  wallMsPerSecond: number[];
  /** Whether every round gave every frame, in order, nothing odd. */
  clean: boolean;
}

/**
 * The decode cost of one listener: `seconds` of this Chromium's own Opus (the host's settings, a
 * click track over a tone) decoded back to back through FrameDecoder in one page, once with
 * WebCodecs and once with the WebAssembly decoder, ROUNDS times each. CPU is the page renderer
 * process's utime + stime from /proc (WebCodecs decodes on a thread of that process).
 */
export async function runDecode(opts: {
  browser: Browser;
  browserPid: number | null;
  baseURL: string;
  seconds: number;
  log: (line: string) => void;
}): Promise<DecodeResult[]> {
  const peer = await newPeer(opts.browser, 'Decoder', opts.baseURL);
  try {
    await peer.page.goto('/');
    await peer.page.waitForFunction(() => '__jamsesh' in window);
    const h = hooks(peer.page);
    const packets = await h.prepareDecodeTest(opts.seconds);
    opts.log(`${packets} packets encoded`);
    const pid = await rendererOf(peer.page, opts.browserPid);
    if (pid === null) throw new Error('renderer process not identified: no CPU figure');
    const results = new Map<DecodeRun['kind'], DecodeResult>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of ['webcodecs', 'wasm'] as const) {
        const before = cpuSeconds(pid) ?? Number.NaN;
        const run = await h.decodePrepared(kind);
        const used = ((cpuSeconds(pid) ?? Number.NaN) - before) * 1000;
        const r = results.get(kind) ?? { kind, cpuMsPerSecond: [], wallMsPerSecond: [], clean: true };
        r.cpuMsPerSecond.push(used / run.audioSeconds);
        r.wallMsPerSecond.push(run.ms / run.audioSeconds);
        r.clean &&= run.inOrder && run.frames === packets && run.odd === 0 && run.errors === 0;
        results.set(kind, r);
      }
    }
    return [...results.values()];
  } finally {
    await closePeers([peer]);
  }
}

export function decodeTable(results: DecodeResult[], seconds: number): string[] {
  const f = (xs: number[]) =>
    `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})`;
  const names = { webcodecs: 'WebCodecs AudioDecoder', wasm: 'WebAssembly (opus-decoder)' };
  return [
    `Decode CPU per listener (${seconds} s of 10 ms Opus packets at the host's settings, decoded back to back through FrameDecoder in one page, ${ROUNDS} rounds each)`,
    '| decoder | renderer CPU, ms per s of audio: median (min-max) | wall, ms per s of audio | every frame, in order, none odd |',
    '|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${names[r.kind]} | ${f(r.cpuMsPerSecond)} | ${f(r.wallMsPerSecond)} | ${r.clean ? 'yes' : 'NO'} |`,
    ),
    'The CPU includes the page copying each frame out (the same for both); 1000 ms per s would be one whole core.',
  ];
}
