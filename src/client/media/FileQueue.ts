import type { NowPlaying } from '../../protocol/media.js';
import { TypedEmitter } from '../net/TypedEmitter.js';
import type { Source } from './Sources.js';
import { ID3V1_BYTES, readTags, TAG_HEAD_BYTES, type Tags, trackInfo } from './tags.js';
import { localNow } from './worker/clock.js';

/** One file in the queue, as the UI shows it. */
export interface QueueItem {
  readonly id: string;
  readonly title: string;
  readonly artist: string | undefined;
  /** Undefined until known (some files only say once they play). */
  readonly durationMs: number | undefined;
  readonly fileName: string;
}

export interface QueueState {
  /** True from `play()` until paused, ended or failed. */
  readonly playing: boolean;
  readonly positionMs: number;
  readonly durationMs: number | undefined;
}

export type QueueErrorCode =
  /** Not audio, or audio this browser cannot decode. */
  | 'unsupported-format'
  /** The file could not be read (moved, deleted, no permission). */
  | 'unreadable'
  | 'queue-full'
  /** The browser refused to start playback without a tap (autoplay rules). */
  | 'play-blocked'
  /** A queued file failed while loading or playing. */
  | 'playback-failed';

export interface QueueError {
  readonly code: QueueErrorCode;
  /** Plain words for the person, naming the file where there is one. */
  readonly message: string;
  readonly fileName?: string;
}

export interface FileQueueEvents {
  /** The items, the current index or the play state changed (not fired for the position moving). */
  change: undefined;
  /**
   * What plays, for `HostEngine.setNowPlaying`: on play, pause, seek, track change and every 5 s
   * while playing. Only after `play()` made this queue the room's source, never after `source.stop()`.
   */
  nowPlaying: NowPlaying;
  /** A file was refused or failed; the queue goes on. */
  error: QueueError;
  /**
   * `play()` was called: the owner makes `source` the engine's source now if it is not already
   * (after `source.stop()` the node is disconnected, and only `HostEngine.setSource` connects it).
   */
  activate: undefined;
}

/** More files than anyone plays in a session; bounds the object URLs and the list rendering. */
export const MAX_QUEUE_ITEMS = 500;
/** Listeners extrapolate the position from `at`; a refresh every 5 s bounds their drift and late joins. */
const NOW_PLAYING_EVERY_MS = 5000;
/** Reading a local file's header takes milliseconds; this only catches a probe that never answers. */
const PROBE_TIMEOUT_MS = 15_000;
/** "Previous" within this much of the start goes to the previous track, later it restarts this one. */
const RESTART_THRESHOLD_MS = 3000;

/** MIME types by extension, for files whose type the OS does not report or reports oddly. */
const TYPE_BY_EXTENSION: Record<string, string> = {
  mp3: 'audio/mpeg',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/ogg; codecs=opus',
  flac: 'audio/flac',
  wav: 'audio/wav',
  m4a: 'audio/mp4',
  mp4: 'audio/mp4',
  aac: 'audio/aac',
  webm: 'audio/webm',
};

interface Entry {
  item: QueueItem;
  readonly url: string;
}

let nextId = 0;

/**
 * The host's file queue: local files played one after another through ONE audio element, whose
 * sound goes only into the host's AudioContext (`createMediaElementSource` takes it off the
 * speakers), so the host hears the room's synced stream like everyone else.
 *
 * Wiring, for the owner:
 * ```ts
 * queue.on('activate', () => { if (engine.source !== queue.source) engine.setSource(queue.source); });
 * queue.on('nowPlaying', (np) => { if (engine.source === queue.source) engine.setNowPlaying(np); });
 * ```
 */
export class FileQueue extends TypedEmitter<FileQueueEvents> {
  /** The queue as a Source (kind 'file'); `stop()` pauses and detaches it, the queue stays. */
  readonly source: Source;
  readonly #element: HTMLAudioElement;
  readonly #node: MediaElementAudioSourceNode;
  /** Aborts every listener on the element at close. */
  readonly #listening = new AbortController();
  #entries: Entry[] = [];
  #items: readonly QueueItem[] = [];
  #current = -1;
  /** Whether nowPlaying is published: from play() until source.stop(). */
  #active = false;
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #lastPublished: { np: NowPlaying; itemId: string | undefined } | null = null;
  /** add() calls run one after the other: they share the probe element. */
  #adding: Promise<unknown> = Promise.resolve();
  #probe: HTMLAudioElement | null = null;
  #closed = false;

  constructor(readonly ctx: AudioContext) {
    super();
    this.#element = new Audio();
    this.#element.preload = 'auto';
    // An element can be attached to a context only once: this node lives as long as the queue.
    this.#node = ctx.createMediaElementSource(this.#element);
    this.#listen();
    const queue = this;
    this.source = {
      kind: 'file',
      node: this.#node,
      get title() {
        return queue.currentItem?.title ?? 'Files';
      },
      stop: () => this.#stopSource(),
    };
  }

  get items(): readonly QueueItem[] {
    return this.#items;
  }

  /** Index of the loaded item, -1 when none. */
  get current(): number {
    return this.#current;
  }

  get currentItem(): QueueItem | undefined {
    return this.#items[this.#current];
  }

  get state(): QueueState {
    const e = this.#element;
    const item = this.currentItem;
    return {
      playing: item !== undefined && !e.paused && !e.ended,
      positionMs: item ? this.#positionMs() : 0,
      durationMs: this.#durationMs(),
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Queues `files` in order. Each is checked (a type this browser plays, a readable header), named
   * from its tags or its file name, and timed; refused files fire 'error' and are skipped. Resolves
   * with the items added; never rejects for a bad file.
   */
  add(files: readonly File[]): Promise<QueueItem[]> {
    if (!Array.isArray(files) || !files.every((f) => f instanceof File)) {
      throw new TypeError('add() takes an array of File objects');
    }
    const run = this.#adding.then(() => this.#addAll(files));
    this.#adding = run.catch(() => {});
    return run;
  }

  /** Plays the current item (the first if none is loaded yet). */
  play(): void {
    if (this.#closed) return;
    if (this.#current < 0) {
      if (this.#entries.length > 0) this.#load(0, true);
      return;
    }
    this.#startPlayback();
  }

  pause(): void {
    if (this.#closed) return;
    this.#element.pause();
  }

  /** Jumps to `ms` into the current item (clamped to its length). */
  seek(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new TypeError(`seek() takes ms, got ${ms}`);
    if (this.#closed || this.#current < 0) return;
    const duration = this.#durationMs();
    const clamped = Math.max(0, duration === undefined ? ms : Math.min(ms, duration));
    this.#element.currentTime = clamped / 1000;
    this.#changed();
  }

  /** The next item, keeping the play state; nothing after the last. */
  next(): void {
    if (this.#closed || this.#current + 1 >= this.#entries.length) return;
    this.#load(this.#current + 1, this.#wantsPlay());
  }

  /** Back to the start of this item if past its first 3 s, else the previous item. */
  previous(): void {
    if (this.#closed || this.#current < 0) return;
    if (this.#current === 0 || this.#positionMs() > RESTART_THRESHOLD_MS) {
      this.seek(0);
      return;
    }
    this.#load(this.#current - 1, this.#wantsPlay());
  }

  /** Plays item `index` from its start. */
  playIndex(index: number): void {
    this.#checkIndex(index, 'playIndex');
    if (this.#closed) return;
    this.#load(index, true);
  }

  /** Moves item `from` to position `to`; the current item stays current. */
  move(from: number, to: number): void {
    this.#checkIndex(from, 'move');
    this.#checkIndex(to, 'move');
    if (this.#closed || from === to) return;
    const current = this.#entries[this.#current];
    const [entry] = this.#entries.splice(from, 1);
    if (!entry) return;
    this.#entries.splice(to, 0, entry);
    this.#current = current ? this.#entries.indexOf(current) : -1;
    this.#rebuild();
  }

  /**
   * Removes item `index` and frees its file. Removing the current item moves on to the one that
   * takes its place (playing if it was), or stops at the end of the queue.
   */
  remove(index: number): void {
    this.#checkIndex(index, 'remove');
    if (this.#closed) return;
    const [entry] = this.#entries.splice(index, 1);
    if (!entry) return;
    if (index < this.#current) {
      this.#current--;
    } else if (index === this.#current) {
      const playing = this.#wantsPlay();
      if (index < this.#entries.length) {
        this.#load(index, playing);
      } else {
        this.#unload();
        this.#publish();
      }
    }
    // Only now: the element has moved off this URL.
    URL.revokeObjectURL(entry.url);
    this.#rebuild();
  }

  /** What plays now, with the position read at `at` (host clock). */
  nowPlaying(): NowPlaying {
    const item = this.currentItem;
    const state = this.state;
    const at = localNow();
    const np: NowPlaying = { source: 'file', at, playing: state.playing };
    if (!item) return np;
    np.title = item.title;
    if (item.artist !== undefined) np.artist = item.artist;
    if (state.durationMs !== undefined) np.durationMs = state.durationMs;
    np.positionMs = state.positionMs;
    return np;
  }

  /** Stops playback and frees every file. The queue cannot be used again. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listening.abort();
    this.#stopHeartbeat();
    this.#unload();
    this.#node.disconnect();
    for (const entry of this.#entries) URL.revokeObjectURL(entry.url);
    this.#entries = [];
    this.#items = [];
    this.#current = -1;
    if (this.#probe) {
      this.#probe.removeAttribute('src');
      this.#probe.load();
      this.#probe = null;
    }
    this.removeAllListeners();
  }

  // -------------------------------------------------------------------------------------------

  async #addAll(files: readonly File[]): Promise<QueueItem[]> {
    const added: QueueItem[] = [];
    for (const file of files) {
      if (this.#closed) break;
      if (this.#entries.length >= MAX_QUEUE_ITEMS) {
        this.#error('queue-full', `The queue is full (${MAX_QUEUE_ITEMS} files). Remove some to add more.`);
        break;
      }
      const item = await this.#prepare(file);
      if (!item || this.#closed) {
        if (item) URL.revokeObjectURL(item.url);
        continue;
      }
      this.#entries.push(item);
      added.push(item.item);
      // The first file of an empty queue is loaded (paused), so play and seek work at once.
      if (this.#current < 0) this.#load(this.#entries.length - 1, false);
      else this.#rebuild();
    }
    return added;
  }

  /** Checks, names and times one file; null (after an 'error') if it cannot be queued. */
  async #prepare(file: File): Promise<Entry | null> {
    const name = displayName(file.name);
    if (!this.#mayPlayType(file)) {
      this.#error(
        'unsupported-format',
        file.type.startsWith('audio/') || file.type.startsWith('video/')
          ? `"${name}" can't be played: this browser doesn't support its format. MP3, Ogg, Opus, FLAC, WAV and M4A usually work.`
          : `"${name}" isn't an audio file.`,
        file.name,
      );
      return null;
    }
    let tags: Tags;
    try {
      const head = await file.slice(0, TAG_HEAD_BYTES).arrayBuffer();
      const tail = file.size > TAG_HEAD_BYTES ? await file.slice(-ID3V1_BYTES).arrayBuffer() : head;
      tags = readTags(head, tail);
    } catch {
      this.#error('unreadable', `"${name}" could not be read. Was it moved or deleted?`, file.name);
      return null;
    }
    const url = URL.createObjectURL(file);
    const probe = await this.#probeFile(url);
    if (!probe.ok) {
      URL.revokeObjectURL(url);
      this.#error(
        'unsupported-format',
        `"${name}" can't be played: this browser can't decode it. It may be damaged, or in a format this browser doesn't support.`,
        file.name,
      );
      return null;
    }
    const info = trackInfo(file.name, tags);
    return {
      url,
      item: {
        id: `f${++nextId}`,
        title: info.title,
        artist: info.artist,
        durationMs: probe.durationMs,
        fileName: file.name,
      },
    };
  }

  /** False only when the file says its type and the browser says it cannot play it. */
  #mayPlayType(file: File): boolean {
    // No type, or the generic one: the probe decides.
    if (!file.type || file.type === 'application/octet-stream') return true;
    if (this.#element.canPlayType(file.type) !== '') return true;
    // OSes report some types under names browsers do not list (audio/x-flac, audio/x-m4a).
    const extension = file.name.split('.').pop()?.toLowerCase() ?? '';
    const byExtension = TYPE_BY_EXTENSION[extension];
    return byExtension !== undefined && this.#element.canPlayType(byExtension) !== '';
  }

  /** Loads the file's header in a separate, silent element: decodable or not, and how long. */
  #probeFile(url: string): Promise<{ ok: true; durationMs: number | undefined } | { ok: false }> {
    this.#probe ??= new Audio();
    const probe = this.#probe;
    probe.preload = 'metadata';
    return new Promise((resolve) => {
      const done = new AbortController();
      const finish = (result: { ok: true; durationMs: number | undefined } | { ok: false }) => {
        done.abort();
        clearTimeout(timer);
        probe.removeAttribute('src');
        probe.load();
        resolve(result);
      };
      const timer = setTimeout(() => finish({ ok: false }), PROBE_TIMEOUT_MS);
      probe.addEventListener(
        'loadedmetadata',
        () => finish({ ok: true, durationMs: finiteMs(probe.duration) }),
        { signal: done.signal },
      );
      probe.addEventListener('error', () => finish({ ok: false }), { signal: done.signal });
      probe.src = url;
    });
  }

  #listen(): void {
    const e = this.#element;
    const on = (type: keyof HTMLMediaElementEventMap, handler: () => void) =>
      e.addEventListener(type, handler, { signal: this.#listening.signal });
    on('play', () => this.#changed());
    on('playing', () => {
      this.#startHeartbeat();
      this.#publish();
      this.#changed();
    });
    on('pause', () => {
      this.#stopHeartbeat();
      // At the end of a track 'pause' comes just before 'ended', which publishes what plays next.
      if (!e.ended) this.#publish();
      this.#changed();
    });
    on('ended', () => {
      this.#stopHeartbeat();
      if (this.#current + 1 < this.#entries.length) {
        this.#load(this.#current + 1, true);
      } else {
        this.#publish();
        this.#changed();
      }
    });
    on('seeked', () => {
      this.#publish();
      this.#changed();
    });
    on('loadedmetadata', () => {
      this.#updateDuration();
      // A new track, perhaps loaded paused: say so (a playing one is published again on 'playing').
      this.#publish();
    });
    on('durationchange', () => this.#updateDuration());
    on('error', () => this.#onElementError());
  }

  #onElementError(): void {
    const entry = this.#entries[this.#current];
    // Unloading (removeAttribute('src')) is not a failure.
    if (!entry || !this.#element.getAttribute('src')) return;
    const code = this.#element.error?.code;
    const name = displayName(entry.item.fileName);
    this.#error(
      code === MediaError.MEDIA_ERR_NETWORK ? 'unreadable' : 'playback-failed',
      code === MediaError.MEDIA_ERR_NETWORK
        ? `"${name}" could not be read. Was it moved or deleted?`
        : `"${name}" stopped playing: the file may be damaged.`,
      entry.item.fileName,
    );
    this.#stopHeartbeat();
    // Carry on with the next file rather than stall the room.
    if (this.#current + 1 < this.#entries.length) this.#load(this.#current + 1, true);
    else {
      this.#publish();
      this.#changed();
    }
  }

  #load(index: number, play: boolean): void {
    const entry = this.#entries[index];
    if (!entry) return;
    this.#current = index;
    this.#element.src = entry.url;
    if (play) this.#startPlayback();
    this.#rebuild();
  }

  #unload(): void {
    this.#element.pause();
    this.#element.removeAttribute('src');
    this.#element.load();
    this.#current = -1;
  }

  #startPlayback(): void {
    if (!this.#active) {
      this.#active = true;
      this.emit('activate', undefined);
    }
    const url = this.#element.src;
    this.#element.play().catch((err: unknown) => {
      const name = err instanceof DOMException ? err.name : '';
      // AbortError: another track was loaded before this one started; nothing went wrong.
      if (name === 'AbortError' || this.#closed || this.#element.src !== url) return;
      if (name === 'NotAllowedError') {
        this.#error('play-blocked', 'The browser blocked playback. Tap play to start.');
      }
      // Decoding failures also arrive as the element's 'error' event, which reports them.
      this.#changed();
    });
  }

  #stopSource(): void {
    this.#active = false;
    this.#lastPublished = null;
    this.#stopHeartbeat();
    if (!this.#closed) this.#element.pause();
    this.#node.disconnect();
  }

  /** True while playing or about to: next/previous/remove keep it. */
  #wantsPlay(): boolean {
    return !this.#element.paused && !this.#element.ended;
  }

  #positionMs(): number {
    const t = this.#element.currentTime;
    return Number.isFinite(t) && t > 0 ? t * 1000 : 0;
  }

  #durationMs(): number | undefined {
    return finiteMs(this.#element.duration) ?? this.currentItem?.durationMs;
  }

  #updateDuration(): void {
    const entry = this.#entries[this.#current];
    const duration = finiteMs(this.#element.duration);
    if (!entry || duration === undefined || entry.item.durationMs === duration) return;
    entry.item = { ...entry.item, durationMs: duration };
    this.#rebuild();
  }

  #startHeartbeat(): void {
    this.#stopHeartbeat();
    this.#heartbeat = setInterval(() => this.#publish(true), NOW_PLAYING_EVERY_MS);
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }

  /**
   * Emits 'nowPlaying', unless it says nothing new: the element fires 'loadedmetadata' and
   * 'playing' for one track change, 'seeked' and 'playing' for one seek. `always` for the heartbeat.
   */
  #publish(always = false): void {
    if (!this.#active || this.#closed) return;
    const np = this.nowPlaying();
    const itemId = this.currentItem?.id;
    const last = this.#lastPublished;
    if (!always && last && last.itemId === itemId && sameMotion(last.np, np)) return;
    this.#lastPublished = { np, itemId };
    this.emit('nowPlaying', np);
  }

  /** A new array (and a new object for each changed item), so the UI can compare by identity. */
  #rebuild(): void {
    this.#items = this.#entries.map((e) => e.item);
    this.#changed();
  }

  #changed(): void {
    if (!this.#closed) this.emit('change', undefined);
  }

  #error(code: QueueErrorCode, message: string, fileName?: string): void {
    if (this.#closed) return;
    this.emit('error', fileName === undefined ? { code, message } : { code, message, fileName });
  }

  #checkIndex(index: number, method: string): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.#entries.length) {
      throw new TypeError(`${method}(): no item at index ${index} (the queue has ${this.#entries.length})`);
    }
  }
}

/** Within this, two reports of the same track agree: far below what a listener could notice. */
const SAME_POSITION_MS = 50;

/** Whether `b` is what a listener extrapolating `a` would already show. */
function sameMotion(a: NowPlaying, b: NowPlaying): boolean {
  if (a.playing !== b.playing || a.durationMs !== b.durationMs) return false;
  if (a.positionMs === undefined || b.positionMs === undefined) return a.positionMs === b.positionMs;
  const expected = a.positionMs + (a.playing ? b.at - a.at : 0);
  return Math.abs(b.positionMs - expected) < SAME_POSITION_MS;
}

/** Seconds from a media element to ms; undefined for NaN and Infinity (length not known). */
function finiteMs(seconds: number): number | undefined {
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** A file name short enough for a message. */
function displayName(name: string): string {
  return name.length > 60 ? `${name.slice(0, 57)}...` : name;
}
