/**
 * `npm run bench`: JamSesh against plain WebRTC audio tracks, host + N listeners in one headless
 * Chromium on this machine. Prints a table, the comparison and the targets (PASS/MISS).
 *
 *   npm run bench -- [--listeners 2..5 (3)] [--seconds 30..60 (40)] [--jbt ms (300)]
 *                    [--runs live,party,playback,webrtc-jbt,webrtc-default,net-clean,net-loss2,net-loss10,net-cap500,net-reorder,spk-1,spk-3,decode]
 *                    [--verbose] [--dump file.json]
 *
 * The net-* runs (the network section) put one listener behind the impairment relay (src/netem) in
 * front of a real coturn, which the benchmark starts on loopback. The decode run times one
 * listener's Opus decoding, WebCodecs against the WebAssembly fallback (bench/decode.ts).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBaseline } from './baseline.js';
import { type BenchBrowser, launchBrowser } from './browser.js';
import { type DecodeResult, decodeTable, runDecode } from './decode.js';
import { runEngine } from './engine.js';
import { type NetworkCondition, type NetworkResult, networkTable, runNetwork } from './network.js';
import { comparisons, METHOD, table, targets } from './report.js';
import type { RunResult } from './result.js';
import { type BenchServer, startServer } from './server.js';
import { runSpeakers, type SpeakerResult, type SpeakerRoom, speakerTable } from './speakers.js';
import { type BenchTurn, startTurn } from './turn.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SETTLE_MS = 10_000;
const NET_RUNS = ['net-clean', 'net-loss2', 'net-loss10', 'net-cap500', 'net-reorder'] as const;
const SPK_RUNS = ['spk-1', 'spk-3'] as const;
const ALL_RUNS = [
  'live',
  'party',
  'playback',
  'webrtc-jbt',
  'webrtc-default',
  ...NET_RUNS,
  ...SPK_RUNS,
  'decode',
] as const;
type RunName = (typeof ALL_RUNS)[number];

interface Options {
  listeners: number;
  seconds: number;
  jbt: number;
  runs: RunName[];
  verbose: boolean;
  /** Write every run's raw measurements to this JSON file. */
  dump: string | null;
}

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run bench -- [--listeners 2..5] [--seconds 30..60] [--jbt ms] [--runs ${ALL_RUNS.join(',')}] [--verbose] [--dump file.json]\n`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { listeners: 3, seconds: 40, jbt: 300, runs: [...ALL_RUNS], verbose: false, dump: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    const int = (lo: number, hi: number) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < lo || n > hi) usage(`${arg} must be an integer from ${lo} to ${hi}`);
      i++;
      return n;
    };
    if (arg === '--listeners') o.listeners = int(2, 5);
    else if (arg === '--seconds') o.seconds = int(30, 60);
    else if (arg === '--jbt') o.jbt = int(0, 4000);
    else if (arg === '--verbose') o.verbose = true;
    else if (arg === '--dump') {
      if (!value) usage('--dump needs a file name');
      o.dump = value;
      i++;
    } else if (arg === '--runs') {
      const runs = (value ?? '').split(',').filter(Boolean);
      const bad = runs.filter((r) => !(ALL_RUNS as readonly string[]).includes(r));
      if (runs.length === 0 || bad.length > 0) usage(`unknown run(s): ${bad.join(', ') || '(none)'}`);
      o.runs = runs as RunName[];
      i++;
    } else usage(`unknown argument: ${arg}`);
  }
  return o;
}

function log(line: string): void {
  const t = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[bench ${t}] ${line}\n`);
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  let server: BenchServer | null = null;
  let netServer: BenchServer | null = null;
  let turn: BenchTurn | null = null;
  let browser: BenchBrowser | null = null;
  const cleanup = async () => {
    await browser?.close();
    await server?.stop();
    await netServer?.stop();
    await turn?.stop();
  };
  // The benchmark stops by itself: every wait is bounded, and this is the last resort.
  const budgetMs = 120_000 + options.runs.length * (options.seconds * 1000 + SETTLE_MS + 180_000);
  const watchdog = setTimeout(() => {
    log(`did not finish in ${Math.round(budgetMs / 1000)} s: stopping`);
    void cleanup().finally(() => process.exit(1));
  }, budgetMs);
  const onSignal = () => {
    log('interrupted: stopping');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const results: RunResult[] = [];
  const netResults: NetworkResult[] = [];
  const spkResults: SpeakerResult[] = [];
  let decodeResults: DecodeResult[] = [];
  const failures: string[] = [];
  try {
    server = await startServer(ROOT);
    log(`server at ${server.url}`);
    browser = await launchBrowser();
    log(`Chromium ${browser.version}, browser pid ${browser.pid ?? '?'}`);
    const common = {
      listeners: options.listeners,
      seconds: options.seconds,
      settleMs: SETTLE_MS,
      browser: browser.browser,
      browserPid: browser.pid,
      baseURL: server.url,
      verbose: options.verbose,
    };
    for (const name of options.runs) {
      const runLog = (line: string) => log(`${name}: ${line}`);
      runLog('starting');
      try {
        if (name === 'decode') {
          decodeResults = await runDecode({
            browser: browser.browser,
            browserPid: browser.pid,
            baseURL: server.url,
            seconds: options.seconds,
            log: runLog,
          });
          runLog('done');
          continue;
        }
        if ((SPK_RUNS as readonly string[]).includes(name)) {
          // Its own PulseAudio and browser (tests/support/speakers.ts); the server is the main one.
          spkResults.push(
            await runSpeakers({
              room: name as SpeakerRoom,
              seconds: Math.min(options.seconds, 20),
              baseURL: server.url,
              log: runLog,
            }),
          );
          runLog('done');
          await new Promise((r) => setTimeout(r, 2000));
          continue;
        }
        if ((NET_RUNS as readonly string[]).includes(name)) {
          if (!turn || !netServer) {
            turn = await startTurn();
            netServer = await startServer(ROOT, turn.env);
            log(`coturn on 127.0.0.1:${turn.port}; server with TURN at ${netServer.url}`);
          }
          netResults.push(
            await runNetwork({
              condition: name.slice(4) as NetworkCondition,
              mode: 'party',
              seconds: options.seconds,
              settleMs: SETTLE_MS,
              browser: browser.browser,
              baseURL: netServer.url,
              turnPort: turn.port,
              log: runLog,
            }),
          );
          runLog('done');
          await new Promise((r) => setTimeout(r, 2000));
          continue;
        }
        const result =
          name === 'live'
            ? await runEngine({ ...common, mode: 'live', latency: 'interactive', log: runLog })
            : name === 'party'
              ? await runEngine({ ...common, mode: 'party', latency: 'interactive', log: runLog })
              : name === 'playback'
                ? await runEngine({ ...common, mode: 'live', latency: 'playback', log: runLog })
                : name === 'webrtc-jbt'
                  ? await runBaseline({ ...common, jitterBufferTargetMs: options.jbt, log: runLog })
                  : await runBaseline({ ...common, jitterBufferTargetMs: null, log: runLog });
        results.push(result);
        runLog('done');
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        failures.push(`${name}: ${message}`);
        runLog(`FAILED: ${message}`);
      }
      // Let the closed pages' processes go before the next run.
      await new Promise((r) => setTimeout(r, 2000));
    }
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }

  const out: string[] = [];
  const who =
    results.length > 0
      ? `host + ${options.listeners} listeners`
      : 'network, speaker and decode sections only';
  out.push(
    `JamSesh benchmark: ${who}, ${SETTLE_MS / 1000} s settling then ${options.seconds} s measured per run`,
  );
  out.push(
    `Chromium ${browser?.version ?? '?'} headless, one context per peer; ${os.cpus().length} CPU cores, ${Math.round(os.totalmem() / 2 ** 30)} GB; loopback network; ${new Date().toISOString()}`,
  );
  out.push('');
  if (results.length > 0) out.push(table(results), '');
  if (results.some((r) => r.kind === 'jamsesh') && results.some((r) => r.kind === 'webrtc')) {
    out.push(
      'JamSesh vs plain WebRTC audio tracks (lower is better in every line)',
      ...comparisons(results),
      '',
    );
  }
  if (results.some((r) => r.kind === 'jamsesh')) out.push("Targets (the issue's)", ...targets(results), '');
  if (netResults.length > 0) out.push(...networkTable(netResults), '');
  if (spkResults.length > 0) out.push(...speakerTable(spkResults), '');
  if (decodeResults.length > 0) out.push(...decodeTable(decodeResults, options.seconds), '');
  const notes = results.flatMap((r) => r.notes.map((n) => `  ${r.column}: ${n}`));
  if (notes.length > 0) out.push('Notes', ...notes, '');
  if (failures.length > 0) out.push('Runs that failed', ...failures.map((f) => `  ${f}`), '');
  out.push(...METHOD);
  if (options.dump) {
    writeFileSync(
      options.dump,
      JSON.stringify({ results, network: netResults, speakers: spkResults, decode: decodeResults }, null, 1),
    );
    out.push('', `Raw measurements written to ${options.dump}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
