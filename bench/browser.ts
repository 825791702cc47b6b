import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../tests/support/chromium.js';
import { sleep, until } from './wait.js';

export interface BenchBrowser {
  browser: Browser;
  /** The browser process (found by a marker switch on its command line), for /proc readings. */
  pid: number | null;
  version: string;
  close(): Promise<void>;
}

/** One Chromium for every peer of every run: 6 browser processes do not fit on 2 cores (6.3 GB, about a minute to connect, measured here). */
export async function launchBrowser(): Promise<BenchBrowser> {
  const marker = `--jamsesh-bench=${randomBytes(6).toString('hex')}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, marker],
    timeout: 60_000,
  });
  const pid = findProcess((cmd) => cmd.includes(marker) && !cmd.includes('--type='));
  let closed: Promise<void> | null = null;
  return {
    browser,
    pid,
    version: browser.version(),
    close: () => {
      closed ??= browser.close().catch(() => {});
      return closed;
    },
  };
}

/** One person: their own context (storage, connections, renderer process) and page. */
export interface Peer {
  name: string;
  context: BrowserContext;
  page: Page;
}

export async function newPeer(
  browser: Browser,
  name: string,
  baseURL: string,
  { bypassCSP = false } = {},
): Promise<Peer> {
  const context = await browser.newContext({ baseURL, bypassCSP, viewport: { width: 1000, height: 800 } });
  context.setDefaultTimeout(30_000);
  // Functions handed to page.evaluate are serialized from this file's compiled code, which may call
  // esbuild's `__name` helper (tsx keeps function names): give the pages a harmless one.
  await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  const page = await context.newPage();
  return { name, context, page };
}

export async function closePeers(peers: readonly Peer[]): Promise<void> {
  await Promise.all(peers.map((p) => p.context.close().catch(() => {})));
}

// --- CPU of a page's renderer process, from /proc ------------------------------------------------

const CLK_TCK = (() => {
  try {
    return Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

function findProcess(match: (cmd: string) => boolean): number | null {
  return pids().find((p) => match(cmdline(p))) ?? null;
}

/** utime + stime of a process, all its threads, in seconds; null if it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Page renderer processes descending from the browser process. */
export function rendererPids(browserPid: number): number[] {
  const parent = new Map<number, number>();
  for (const p of pids()) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      parent.set(p, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const descends = (p: number): boolean => {
    for (let q = parent.get(p), hops = 0; q !== undefined && hops < 10; q = parent.get(q), hops++) {
      if (q === browserPid) return true;
    }
    return false;
  };
  // Not the browser's own WebUI (headless Chromium runs one; it stirs when a page is busy).
  return [...parent.keys()].filter((p) => {
    const cmd = cmdline(p);
    return descends(p) && cmd.includes('--type=renderer') && !cmd.includes('--top-chrome-webui');
  });
}

/**
 * Which renderer process runs `page`: the one whose CPU time jumps while the page spins for
 * 600 ms (Chromium does not tell a page's pid over CDP). Call before measuring: it stalls the page.
 */
export async function rendererOf(page: Page, browserPid: number | null): Promise<number | null> {
  if (browserPid === null) return null;
  const candidates = rendererPids(browserPid);
  const before = new Map(candidates.map((p) => [p, cpuSeconds(p) ?? 0]));
  await page.evaluate(() => {
    const end = performance.now() + 600;
    while (performance.now() < end) {
      // spin
    }
  });
  let best: { pid: number; used: number } | null = null;
  let second = 0;
  for (const p of candidates) {
    const used = (cpuSeconds(p) ?? 0) - (before.get(p) ?? 0);
    if (!best || used > best.used) {
      second = best?.used ?? 0;
      best = { pid: p, used };
    } else if (used > second) second = used;
  }
  // The spinning page used a good part of 0.6 s of a core (less on a loaded machine); others far less.
  return best && best.used >= 0.2 && best.used > 2 * second ? best.pid : null;
}

/** CPU use of one process between two readings, as % of one core. */
export class ProcessCpu {
  #start: { cpu: number; wall: number } | null = null;

  constructor(readonly pid: number | null) {}

  start(): void {
    const cpu = this.pid === null ? null : cpuSeconds(this.pid);
    this.#start = cpu === null ? null : { cpu, wall: performance.now() };
  }

  /** % of one core since start(), or null if unknown. */
  stop(): number | null {
    if (this.pid === null || !this.#start) return null;
    const cpu = cpuSeconds(this.pid);
    if (cpu === null) return null;
    return ((cpu - this.#start.cpu) / ((performance.now() - this.#start.wall) / 1000)) * 100;
  }
}

/** The page's main-thread busy time (CDP Performance.getMetrics TaskDuration), % of one core. */
export class MainThreadCpu {
  #start: { task: number; script: number; wall: number } | null = null;

  private constructor(readonly read: () => Promise<{ task: number; script: number }>) {}

  static async of(page: Page): Promise<MainThreadCpu> {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    return new MainThreadCpu(async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      const get = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0;
      return { task: get('TaskDuration'), script: get('ScriptDuration') };
    });
  }

  async start(): Promise<void> {
    this.#start = { ...(await this.read()), wall: performance.now() };
  }

  async stop(): Promise<{ taskPct: number; scriptPct: number } | null> {
    if (!this.#start) return null;
    const now = await this.read();
    const sec = (performance.now() - this.#start.wall) / 1000;
    return {
      taskPct: ((now.task - this.#start.task) / sec) * 100,
      scriptPct: ((now.script - this.#start.script) / sec) * 100,
    };
  }
}

export interface MeasuredWindow<T> {
  /** The host page's clock when the window opened (ms). */
  from: number;
  before: T;
  after: T;
  /** Host renderer process CPU and main-thread busy time over the window, % of a core / of wall time. */
  processPct: number | null;
  mainPct: Awaited<ReturnType<MainThreadCpu['stop']>>;
  wallSec: number;
}

/**
 * One measured window, the same for every run: read the counters, run `seconds` with the host's CPU
 * meters on, read them again.
 */
export async function measureWindow<T>(opts: {
  hostPid: number | null;
  main: MainThreadCpu;
  seconds: number;
  log: (message: string) => void;
  hostNow: () => Promise<number>;
  read: () => Promise<T>;
}): Promise<MeasuredWindow<T>> {
  const cpu = new ProcessCpu(opts.hostPid);
  const from = await opts.hostNow();
  const before = await opts.read();
  cpu.start();
  await opts.main.start();
  const wallFrom = performance.now();
  opts.log(`measuring ${opts.seconds} s`);
  await sleep(opts.seconds * 1000);
  const processPct = cpu.stop();
  const mainPct = await opts.main.stop();
  const after = await opts.read();
  return { from, before, after, processPct, mainPct, wallSec: (performance.now() - wallFrom) / 1000 };
}

/** The room code a page shows, once it shows one. */
export async function roomCode(page: Page): Promise<string> {
  const el = page.getByTestId('room-code');
  await el.waitFor({ state: 'visible', timeout: 30_000 });
  const seen = { code: '' };
  await until(
    async () => {
      seen.code = (await el.getAttribute('data-code')) ?? '';
      return /^[0-9A-Z]{6}$/.test(seen.code);
    },
    30_000,
    'room code',
  );
  return seen.code;
}

/** Hosts a jam from this page through the UI (as a person would) and returns the room code. */
export async function hostRoom(page: Page, name: string): Promise<string> {
  await page.goto('/');
  await page.getByTestId('name-input').fill(name);
  await page.getByTestId('host-button').click();
  return roomCode(page);
}

/** Joins the room `code` from this page through the UI (the join link, a name, the code). */
export async function joinRoom(page: Page, name: string, code: string, query = ''): Promise<void> {
  await page.goto(`/join/${code}${query}`);
  await page.getByTestId('name-input').fill(name);
  await page.getByTestId('code-input').fill(code);
  await page.getByTestId('join-button').click();
  if ((await roomCode(page)) !== code) throw new Error(`${name} did not join`);
}
