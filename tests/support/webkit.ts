/**
 * WebKit in the tests: Debian's WebKitGTK MiniBrowser, driven by its WebDriver server
 * (`WebKitWebDriver`, package webkit2gtk-driver) under a private Xvfb display, through a small
 * W3C WebDriver client (plain fetch: new session, navigate, execute async script, delete session).
 * Every process started here dies with the test process (pulse.ts's spawnTied).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { endChild, spawnTied } from './pulse.js';

export const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/**
 * `--automation` is what lets WebKitWebDriver drive it; the rest lets a page play sound and open
 * mock capture devices without a gesture or a prompt.
 */
const MINIBROWSER_ARGS = [
  '--automation',
  '--autoplay-policy=allow',
  '--media-playback-requires-user-gesture=false',
  '--enable-media-stream=true',
  '--enable-mock-capture-devices=true',
];

/** What is missing to run WebKit here (scripts/install-test-deps.sh installs it), or null. */
export function webkitMissing(): string | null {
  const missing = [
    ['WebKitWebDriver', '/usr/bin/WebKitWebDriver'],
    ['Xvfb', '/usr/bin/Xvfb'],
    ['MiniBrowser', MINIBROWSER],
  ].filter(([, file]) => !existsSync(file as string));
  return missing.length ? missing.map(([name]) => name).join(', ') : null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Display {
  /** The DISPLAY value, e.g. ":101". */
  name: string;
  stop(): Promise<void>;
}

/**
 * A private X display (Xvfb) on the first free number from 100: WebKitGTK cannot run without one.
 * A number another Xvfb took meanwhile makes this one exit at once; the next number is tried.
 */
export async function startXvfb(): Promise<Display> {
  for (let n = 100; n < 200; n++) {
    if (existsSync(`/tmp/.X${n}-lock`) || existsSync(`/tmp/.X11-unix/X${n}`)) continue;
    const child = spawnTied('Xvfb', [`:${n}`, '-nolisten', 'tcp', '-screen', '0', '1280x800x24']);
    const deadline = Date.now() + 10_000;
    while (!existsSync(`/tmp/.X11-unix/X${n}`) && child.exitCode === null && Date.now() < deadline) {
      await sleep(50);
    }
    if (child.exitCode !== null) continue;
    if (!existsSync(`/tmp/.X11-unix/X${n}`)) {
      await endChild(child);
      throw new Error(`Xvfb :${n} did not open its socket within 10 s`);
    }
    return { name: `:${n}`, stop: () => endChild(child) };
  }
  throw new Error('no free X display number in 100-199');
}

export interface WebKitDriver {
  url: string;
  /** What the driver (and the browsers it started) printed so far. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * `WebKitWebDriver --port=<port>` with `env` (DISPLAY, PulseAudio's variables) for the browsers it
 * starts; resolves once it answers /status.
 */
export async function startWebKitDriver(port: number, env: Record<string, string>): Promise<WebKitDriver> {
  const child: ChildProcess = spawnTied('WebKitWebDriver', [`--port=${port}`, '--host=127.0.0.1'], {
    env: { ...process.env, ...env },
  });
  let log = '';
  child.stderr?.on('data', (d) => {
    log += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`WebKitWebDriver exited at start:\n${log}`);
    try {
      const res = await fetch(`${url}/status`);
      if (res.ok && ((await res.json()) as { value: { ready: boolean } }).value.ready) break;
    } catch {}
    if (Date.now() > deadline) {
      await endChild(child);
      throw new Error(`WebKitWebDriver did not answer within 15 s:\n${log}`);
    }
    await sleep(100);
  }
  return { url, log: () => log, stop: () => endChild(child) };
}

/** An error the WebDriver server answered with (W3C WebDriver, "Handling errors"). */
export class WebDriverError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'WebDriverError';
  }
}

/** One W3C WebDriver session: the calls the tests need, nothing more. */
export class WebDriverSession {
  #deleted = false;

  private constructor(
    readonly base: string,
    readonly id: string,
    readonly capabilities: Record<string, unknown>,
  ) {}

  /** A new MiniBrowser window; `scriptTimeoutMs` bounds each executeAsync. */
  static async create(driverUrl: string, scriptTimeoutMs = 60_000): Promise<WebDriverSession> {
    const value = (await call(driverUrl, 'POST', '/session', {
      capabilities: {
        alwaysMatch: {
          browserName: 'MiniBrowser',
          'webkitgtk:browserOptions': { binary: MINIBROWSER, args: MINIBROWSER_ARGS },
        },
      },
    })) as { sessionId: string; capabilities: Record<string, unknown> };
    const session = new WebDriverSession(driverUrl, value.sessionId, value.capabilities);
    await session.#call('POST', '/timeouts', { script: scriptTimeoutMs });
    return session;
  }

  /** The engine's version, e.g. "2.50.6". */
  get browserVersion(): string {
    return String(this.capabilities.browserVersion ?? '');
  }

  /** Loads `url` and waits for its load event. */
  async navigate(url: string): Promise<void> {
    await this.#call('POST', '/url', { url });
  }

  /**
   * Runs `fn(...args)` in the page and resolves with what its promise resolves to (JSON-cloned).
   * `fn` is sent as source text: it sees only the page's globals and its arguments.
   */
  async executeAsync<A extends unknown[], T>(fn: (...args: A) => Promise<T>, ...args: A): Promise<T> {
    const script = `const done = arguments[arguments.length - 1];
      (${fn.toString()}).apply(null, Array.prototype.slice.call(arguments, 0, -1)).then(
        (value) => done({ ok: true, value }),
        (err) => done({ ok: false, thrown: String(err) + ' ' + String(err && err.stack) }));`;
    const out = (await this.#call('POST', '/execute/async', { script, args })) as
      | { ok: true; value: T }
      | { ok: false; thrown: string };
    if (!out.ok) throw new Error(`in the page: ${out.thrown}`);
    return out.value;
  }

  /** Ends the session (its browser quits). Safe to call twice. */
  async delete(): Promise<void> {
    if (this.#deleted) return;
    this.#deleted = true;
    await this.#call('DELETE', '');
  }

  #call(method: string, path: string, body?: unknown): Promise<unknown> {
    return call(this.base, method, `/session/${this.id}${path}`, body);
  }
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as { value: unknown };
  if (!res.ok) {
    const value = json.value as { error?: string; message?: string } | null;
    throw new WebDriverError(value?.error ?? `HTTP ${res.status}`, value?.message ?? '');
  }
  return json.value;
}
