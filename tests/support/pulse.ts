/**
 * Sound at the real audio output, for tests: a private PulseAudio daemon, a recording rig that puts
 * several players (Chromium processes, `pacat`s) on one sample-aligned timeline, a "microphone"
 * source that hears all of them mixed, a recorder, and the analysis of what was recorded.
 *
 * Layout of a rig (docs/sync.md tells what it measured):
 *
 *   player A ──> jamsesh_A (remap-sink, mono) ──┐
 *   player B ──> jamsesh_B (remap-sink, mono) ──┼─> jamsesh_rec (null sink, one channel per player)
 *   ...                                         ┘        │
 *                                  jamsesh_rec.monitor ──┼─> record(): one array per player
 *                                                        └─> jamsesh_mic (remap-source, mono, remix)
 *
 * Each player's sink writes only its own channel of `jamsesh_rec`, so one `parec` on the monitor sees
 * every player on one timeline, bit-exact. `jamsesh_mic` is the same monitor downmixed to mono by
 * PulseAudio's channel remixer: every channel with the same weight (1/channels) and no relative delay
 * between channels (both verified in tests/integration/pulse.test.ts).
 *
 * `jamsesh_rec` is a null sink with `norewinds=1`: with rewinds, a stream that starts (a player's
 * first samples) makes the sink re-render audio its monitor had already delivered, and the monitor's
 * recording of that moment came out garbled (attenuated, smeared over ~10 ms) while the mic's was
 * clean. Without rewinds both are exact.
 *
 * Every process started here dies with the test process (parent-death signal, plus the daemon's idle
 * exit); `stop()`/`close()` end them earlier.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium.js';

export const PULSE_RATE = 48_000;

// --- Processes that do not outlive the test process -----------------------------------------------

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
}

let chrtWorks: boolean | undefined;
/** Whether this process may give its children SCHED_RR (root, or CAP_SYS_NICE). */
function canUseRealtime(): boolean {
  chrtWorks ??= spawnSync('chrt', ['-r', '1', 'true']).status === 0;
  return chrtWorks;
}

/**
 * Spawns `cmd` so that it is killed when this process (the thread that spawned it) dies, even by
 * SIGKILL: `setpriv --pdeathsig KILL` (util-linux, in every Debian). `realtime` runs it SCHED_RR
 * when allowed (stalls under load show in recordings as jumps).
 */
export function spawnTied(
  cmd: string,
  args: string[],
  opts: {
    env?: NodeJS.ProcessEnv;
    realtime?: number;
    stdout?: 'pipe' | 'ignore';
    stdin?: 'pipe' | 'ignore';
  } = {},
): ChildProcess {
  if (!existsSync('/usr/bin/setpriv'))
    throw new Error('setpriv (util-linux) is needed to tie processes to the test');
  const rt = opts.realtime && canUseRealtime() ? ['chrt', '-r', String(opts.realtime)] : [];
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', ...rt, cmd, ...args], {
    env: opts.env ?? process.env,
    stdio: [opts.stdin ?? 'ignore', opts.stdout ?? 'ignore', 'pipe'],
  });
  installExitHook();
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Ends a child: `signal`, then SIGKILL if it has not exited within `graceMs`. */
export async function endChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 2000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}

// --- The daemon ---------------------------------------------------------------------------------------

export interface PulseServer {
  /** Its runtime directory (socket, cookie, state); removed by stop(). */
  dir: string;
  /** The native-protocol socket. */
  socket: string;
  /** What a client (pactl, parec, Chromium) needs in its environment to use this server only. */
  env: Record<string, string>;
  /** Runs `pactl` against this server; resolves with its stdout, rejects with its stderr. */
  pactl(...args: string[]): Promise<string>;
  /** What the daemon has printed so far (warnings and errors). */
  log(): string;
  stop(): Promise<void>;
}

/** Whether the PulseAudio tools are installed (scripts/install-test-deps.sh installs them). */
export function pulseMissing(): string | null {
  const missing = ['pulseaudio', 'pactl', 'parec', 'pacat'].filter(
    (c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0,
  );
  return missing.length ? missing.join(', ') : null;
}

/**
 * The daemon's idle exit: it quits this long after its last client left. A keep-alive client (a
 * `pactl subscribe`, itself tied to the test process) stays connected until stop(), so this only
 * acts if the test process died without the parent-death signal reaching the daemon.
 */
const EXIT_IDLE_SEC = 5;

/**
 * Starts a private PulseAudio daemon: user mode even as root (`--system=false`; it warns "This
 * program is not intended to be run as root" and, without a session bus, "Unable to contact
 * D-Bus": both harmless), no default script (`-n`), only the native protocol on its own socket
 * (anonymous auth, no cookie), realtime scheduling (SCHED_RR 5 for its I/O threads) and nice -11 when
 * allowed. Its default sample spec is float32 48 kHz stereo (a daemon.conf of its own): Chromium opens
 * its streams at that rate (at 44.1 kHz otherwise, resampled on the way to the rig). Its default sink
 * is a silent null sink `jamsesh_default`: a client without PULSE_SINK plays nowhere audible.
 */
export async function startPulse(): Promise<PulseServer> {
  const missing = pulseMissing();
  if (missing) {
    throw new Error(`PulseAudio tools missing (${missing}): run scripts/install-test-deps.sh`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'jamsesh-pulse-'));
  const socket = path.join(dir, 'native');
  // Clients must never autospawn a daemon of their own (e.g. Chromium once this one has stopped).
  writeFileSync(path.join(dir, 'client.conf'), 'autospawn = no\n');
  // Chromium opens its streams at the server's default rate (44.1 kHz unless told): 48 kHz, so that
  // nothing between a page and the rig is resampled.
  writeFileSync(
    path.join(dir, 'daemon.conf'),
    [
      'default-sample-format = float32le',
      `default-sample-rate = ${PULSE_RATE}`,
      `alternate-sample-rate = ${PULSE_RATE}`,
      'default-sample-channels = 2',
      'flat-volumes = no',
      '',
    ].join('\n'),
  );
  const env: Record<string, string> = {
    PULSE_SERVER: `unix:${socket}`,
    PULSE_CLIENTCONFIG: path.join(dir, 'client.conf'),
    PULSE_COOKIE: path.join(dir, 'cookie'),
  };
  const daemonEnv: NodeJS.ProcessEnv = {
    ...withoutPulseVars(process.env),
    HOME: dir,
    XDG_RUNTIME_DIR: dir,
    XDG_CONFIG_HOME: path.join(dir, 'config'),
    XDG_STATE_HOME: path.join(dir, 'state'),
    PULSE_RUNTIME_PATH: dir,
    PULSE_STATE_PATH: path.join(dir, 'state'),
    PULSE_CONFIG_PATH: path.join(dir, 'config'),
    PULSE_CONFIG: path.join(dir, 'daemon.conf'),
  };
  delete daemonEnv.DISPLAY;
  const args = [
    '--system=false',
    '--daemonize=no',
    '-n',
    '--use-pid-file=no',
    `--exit-idle-time=${EXIT_IDLE_SEC}`,
    '--realtime',
    '--high-priority',
    '--log-target=stderr',
    '--log-level=notice',
    '-L',
    `module-native-protocol-unix auth-anonymous=1 auth-cookie-enabled=0 socket=${socket}`,
    '-L',
    `module-null-sink sink_name=jamsesh_default rate=${PULSE_RATE} channels=2 format=float32le`,
  ];
  const daemon = spawnTied('pulseaudio', args, { env: daemonEnv });
  let log = '';
  daemon.stderr?.on('data', (d) => {
    log += d;
  });

  const clientEnv = { ...withoutPulseVars(process.env), ...env };
  const pactl = (...a: string[]): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile('pactl', a, { env: clientEnv, timeout: 20_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`pactl ${a.join(' ')}: ${stderr || err.message}`));
        else resolve(stdout);
      });
    });

  let keepAlive: ChildProcess | null = null;
  const stop = async (): Promise<void> => {
    if (keepAlive) await endChild(keepAlive);
    await endChild(daemon);
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (daemon.exitCode !== null || daemon.signalCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`pulseaudio exited at start:\n${log}`);
    }
    if (existsSync(socket)) {
      try {
        await pactl('info');
        break;
      } catch {}
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`pulseaudio did not answer within 20 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  keepAlive = spawnTied('pactl', ['subscribe'], { env: clientEnv });
  await pactl('set-default-sink', 'jamsesh_default');
  return { dir, socket, env, pactl, log: () => log, stop };
}

function withoutPulseVars(e: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...e };
  for (const k of ['PULSE_SERVER', 'PULSE_SINK', 'PULSE_SOURCE', 'PULSE_COOKIE', 'PULSE_CLIENTCONFIG'])
    delete out[k];
  return out;
}

// --- The rig --------------------------------------------------------------------------------------------

/**
 * Positions of the rec sink's channels, in order: standard positions, no LFE (a remixer may leave
 * LFE out of a downmix). PulseAudio 16 downmixes all of these to mono with equal weight (and aux0..7
 * too, checked), but named positions are what every remixer knows.
 */
export const REC_POSITIONS = [
  'front-left',
  'front-right',
  'rear-left',
  'rear-right',
  'front-center',
  'side-left',
  'side-right',
  'rear-center',
] as const;

export interface Rig {
  /** The null sink holding every player, one channel each, in `players` order. */
  recSink: 'jamsesh_rec';
  /** Record this (with `channels`) to get every player on one timeline. */
  recMonitor: 'jamsesh_rec.monitor';
  channels: number;
  /** Sink name per player: `jamsesh_<player>`. */
  sinks: Record<string, string>;
  /** The mono source that hears every player mixed (when asked for), else null. */
  mic: 'jamsesh_mic' | null;
  /** Each player's gain in the mic: the remixer's equal-weight downmix, 1/channels. */
  micGain: number;
  close(): Promise<void>;
}

/**
 * One null sink `jamsesh_rec` (48 kHz, float32, one channel per player, at most 8, no rewinds), one mono
 * remap-sink `jamsesh_<player>` per player writing only its own channel (`remix=no`), and with `mic`
 * a mono source `jamsesh_mic`: a remap-source on the rec monitor with `remix=yes`, which PulseAudio
 * downmixes from every channel with equal weight.
 */
export async function createRig(
  server: PulseServer,
  players: string[],
  { mic }: { mic: boolean },
): Promise<Rig> {
  if (players.length < 1 || players.length > REC_POSITIONS.length) {
    throw new Error(`a rig holds 1-${REC_POSITIONS.length} players, not ${players.length}`);
  }
  if (new Set(players).size !== players.length || players.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) {
    throw new Error(`player names must be distinct and [A-Za-z0-9_-]: ${players.join(', ')}`);
  }
  const channels = players.length;
  const positions = REC_POSITIONS.slice(0, channels);
  const modules: string[] = [];
  const load = async (...args: string[]): Promise<void> => {
    modules.push((await server.pactl('load-module', ...args)).trim());
  };
  const close = async (): Promise<void> => {
    // Dependent modules first: the mic and the player sinks sit on the rec sink.
    for (const id of modules.splice(0).reverse()) await server.pactl('unload-module', id).catch(() => {});
  };
  const spec = [`rate=${PULSE_RATE}`, 'format=float32le'];
  try {
    await load(
      'module-null-sink',
      'sink_name=jamsesh_rec',
      'norewinds=1',
      `channels=${channels}`,
      `channel_map=${positions.join(',')}`,
      ...spec,
    );
    const sinks: Record<string, string> = {};
    for (const [i, p] of players.entries()) {
      const name = `jamsesh_${p}`;
      await load(
        'module-remap-sink',
        `sink_name=${name}`,
        'master=jamsesh_rec',
        'channels=1',
        'channel_map=mono',
        `master_channel_map=${positions[i]}`,
        'remix=no',
        // What a browser lists it as (enumerateDevices' label), to pick it with setSinkId.
        `sink_properties=device.description=${name}`,
        ...spec,
      );
      sinks[p] = name;
    }
    if (mic) {
      await load(
        'module-remap-source',
        'source_name=jamsesh_mic',
        'master=jamsesh_rec.monitor',
        'channels=1',
        'channel_map=mono',
        'remix=yes',
        ...spec,
      );
    }
    return {
      recSink: 'jamsesh_rec',
      recMonitor: 'jamsesh_rec.monitor',
      channels,
      sinks,
      mic: mic ? 'jamsesh_mic' : null,
      micGain: 1 / channels,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

// --- The recorder ---------------------------------------------------------------------------------------

export interface Recording {
  /** Frames received so far. */
  frames(): number;
  /** Stops `parec` and returns one array per channel, sample-aligned. */
  stop(): Promise<Float32Array[]>;
}

/**
 * Records `source` with `parec` (float32, 48 kHz, `channels`, 10 ms fragments, SCHED_RR 5 like the
 * daemon's threads when allowed).
 * Channel i of the recording is channel i of the source, unless `remix` lets PulseAudio remix the
 * source's channels into `channels` by position (e.g. the rec monitor as 1 channel: every player at
 * 1/channels). Resolves once the stream is connected, i.e. when the first samples arrive.
 */
export async function record(
  server: PulseServer,
  source = 'jamsesh_rec.monitor',
  channels = 1,
  { remix = false }: { remix?: boolean } = {},
): Promise<Recording> {
  const child = spawnTied(
    'parec',
    [
      '--raw',
      `--device=${source}`,
      '--format=float32le',
      `--rate=${PULSE_RATE}`,
      `--channels=${channels}`,
      // Channels by index, never remixed: a stream whose channel map differs from the source's (parec's
      // default 8-channel map has an LFE, the rec sink has none) would otherwise be remixed.
      ...(remix ? [] : ['--no-remap', '--no-remix']),
      '--latency-msec=10',
    ],
    { env: { ...withoutPulseVars(process.env), ...server.env }, realtime: 5, stdout: 'pipe' },
  );
  const chunks: Buffer[] = [];
  let bytes = 0;
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    chunks.push(d);
    bytes += d.length;
  });
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const frameBytes = 4 * channels;
  const deadline = Date.now() + 20_000;
  while (bytes === 0) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`parec ${source} exited: ${err}`);
    if (Date.now() > deadline) {
      await endChild(child);
      throw new Error(`parec ${source}: no samples within 20 s: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const ended = new Promise<void>((resolve) => child.stdout?.once('end', () => resolve()));
  return {
    frames: () => Math.floor(bytes / frameBytes),
    stop: async () => {
      await endChild(child, 'SIGINT');
      await Promise.race([ended, new Promise((r) => setTimeout(r, 1000))]);
      return deinterleave(Buffer.concat(chunks), channels);
    },
  };
}

/** Interleaved float32le frames to one array per channel (a trailing partial frame is dropped). */
export function deinterleave(buf: Buffer, channels: number): Float32Array[] {
  const frames = Math.floor(buf.length / (4 * channels));
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++) (out[c] as Float32Array)[f] = buf.readFloatLE((f * channels + c) * 4);
  }
  return out;
}

/** Plays mono float32 48 kHz `samples` into `sink` with `pacat`; resolves when it has drained. */
export async function playRaw(server: PulseServer, sink: string, samples: Float32Array): Promise<void> {
  const child = spawnTied(
    'pacat',
    ['--playback', '--raw', `--device=${sink}`, '--format=float32le', `--rate=${PULSE_RATE}`, '--channels=1'],
    { env: { ...withoutPulseVars(process.env), ...server.env }, stdin: 'pipe' },
  );
  let err = '';
  child.stderr?.on('data', (d) => {
    err += d;
  });
  const done = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdin?.end(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
  const code = await done;
  if (code !== 0) throw new Error(`pacat ${sink} exited with ${code}: ${err}`);
}

// --- Browsers --------------------------------------------------------------------------------------------

/**
 * One Chromium process whose audio output goes to `sink` of `server` (Playwright's `--mute-audio` is
 * dropped). With `micSource`, getUserMedia records that PulseAudio source: the fake capture device is
 * dropped, the fake permission UI kept (permission granted without a prompt).
 */
export async function launchOnSink(
  server: PulseServer,
  sink: string,
  opts: { micSource?: string } = {},
): Promise<Browser> {
  const args = opts.micSource
    ? CHROMIUM_ARGS.filter((a) => a !== '--use-fake-device-for-media-stream')
    : CHROMIUM_ARGS;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(withoutPulseVars(process.env))) if (v !== undefined) env[k] = v;
  Object.assign(env, server.env, { PULSE_SINK: sink });
  if (opts.micSource) env.PULSE_SOURCE = opts.micSource;
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args,
    ignoreDefaultArgs: ['--mute-audio'],
    env,
    timeout: 60_000,
  });
}

// --- Analysis (pure) --------------------------------------------------------------------------------------

/**
 * Sample indices of sound onsets: the first sample whose magnitude is above `threshold` after at least
 * `quietMs` of samples at or below it. The start of the array does not count as quiet: a sound in the
 * first `quietMs` is not reported (it may have begun before the recording).
 */
export function onsets(
  channel: Float32Array,
  { threshold, quietMs, rate = PULSE_RATE }: { threshold: number; quietMs: number; rate?: number },
): number[] {
  const quietNeeded = Math.round((quietMs * rate) / 1000);
  const out: number[] = [];
  let quiet = 0;
  for (let i = 0; i < channel.length; i++) {
    if (Math.abs(channel[i] as number) > threshold) {
      if (quiet >= quietNeeded) out.push(i);
      quiet = 0;
    } else {
      quiet++;
    }
  }
  return out;
}

/**
 * Pairs each onset of `a` with the nearest unused onset of `b` at most `maxApartSamples` away and
 * returns the differences `b - a` (in samples), in `a`'s order; unpaired onsets are left out.
 */
export function pairOnsets(a: readonly number[], b: readonly number[], maxApartSamples: number): number[] {
  const used = new Set<number>();
  const diffs: number[] = [];
  for (const x of a) {
    let best = -1;
    for (let j = 0; j < b.length; j++) {
      if (used.has(j)) continue;
      const d = Math.abs((b[j] as number) - x);
      if (d <= maxApartSamples && (best < 0 || d < Math.abs((b[best] as number) - x))) best = j;
    }
    if (best >= 0) {
      used.add(best);
      diffs.push((b[best] as number) - x);
    }
  }
  return diffs;
}

export interface SkewStats {
  n: number;
  /** Of the magnitudes |d|. */
  median: number;
  p95: number;
  max: number;
}

/** Median, 95th percentile (nearest rank) and maximum of |d|; NaN for an empty list. */
export function skewStats(diffsMs: readonly number[]): SkewStats {
  const s = diffsMs.map(Math.abs).sort((x, y) => x - y);
  const n = s.length;
  if (n === 0) return { n, median: Number.NaN, p95: Number.NaN, max: Number.NaN };
  const mid = n >> 1;
  const median = n % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  const p95 = s[Math.min(n - 1, Math.ceil(0.95 * n) - 1)] as number;
  return { n, median, p95, max: s[n - 1] as number };
}

/** Samples at 48 kHz to milliseconds. */
export function samplesToMs(samples: number, rate = PULSE_RATE): number {
  return (samples * 1000) / rate;
}
