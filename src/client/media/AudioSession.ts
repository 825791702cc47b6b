import type { IceServer, Member, Role, SignalPayload } from '../../protocol/index.js';
import type { CalibrationState, NowPlaying, SourceKind, SyncMode, SyncStatus } from '../../protocol/media.js';
import type { SignalingClient } from '../net/SignalingClient.js';
import { TypedEmitter } from '../net/TypedEmitter.js';
import { advance, type BackInStep, shown } from '../phone/backInStep.js';
import type { AppState, JamClient } from '../state/JamClient.js';
import { type CalibrationProgress, type CalibrationRoom, CalibrationRun } from './CalibrationRun.js';
import {
  type BrowserFeatures,
  type Capabilities,
  capabilities,
  detectFeatures,
  type RoleSupport,
  readFeatures,
} from './capabilities.js';
import {
  chooseDecoder,
  type DecoderKind,
  type DecoderSetting,
  readDecoderSetting,
  storeDecoderSetting,
} from './decoderChoice.js';
import { FileQueue } from './FileQueue.js';
import { HostEngine } from './HostEngine.js';
import { ListenerEngine } from './ListenerEngine.js';
import { OutputCalibration } from './OutputCalibration.js';
import { hasTurn, type IceOptions } from './PeerLink.js';
import { Player } from './Player.js';
import { captureMic, captureTab, clickTrack, type Source } from './Sources.js';

/** What the audio part of the room page draws from. Replaced on every change. */
export interface AudioState {
  /**
   * off: not in a room. starting: creating the audio output. needs-gesture: the browser wants a tap
   * before it plays sound. ready: playing (or ready to). error: the output failed to start (tried
   * again on a click). unsupported: this device cannot take its role (`support` says why); the
   * room works without audio.
   */
  phase: 'off' | 'starting' | 'needs-gesture' | 'ready' | 'error' | 'unsupported';
  error: string | null;
  /** What this device can do by role and which sources it offers, decided when the page loads. */
  capabilities: Capabilities;
  /** Whether this device can take its role in the room (before a room: whether it can listen). */
  support: RoleSupport;
  /** The server's public https address, if it told us one (`welcome`): where an insecure page should go. */
  secureUrl: string | null;
  role: Role | null;
  /** The room delay D and the mode it came from. */
  session: { delayMs: number; mode: SyncMode } | null;
  nowPlaying: NowPlaying | null;
  /** Sync status of every member, by peer id (from the host). */
  syncTable: Record<string, SyncStatus>;
  /** This device's own status. */
  own: SyncStatus | null;
  volume: number;
  /** This device's output offset (ms, + plays later), remembered per device and output. */
  offsetMs: number;
  /** Whether that offset came from an acoustic calibration of the output it plays on now. */
  calibration: CalibrationState;
  /** Host: the last calibration run (null before the first). */
  calibrationRun: CalibrationProgress | null;
  /** Host: the source playing. */
  source: SourceKind;
  /** Listener: the state of the connection to the host. */
  link: string;
  /**
   * Connect only through the server's TURN relay: the other devices never learn this one's
   * addresses (remembered per device). Needs a relay on the server (`relayAvailable`).
   */
  relayOnly: boolean;
  /** The server offers a TURN relay in this room. */
  relayAvailable: boolean;
  /**
   * Decode with WebAssembly even where WebCodecs could (remembered per device, or `?decoder=` for
   * one page): taken up when this device next starts its audio (joins, or reloads).
   */
  decoderSetting: DecoderSetting;
  /** Back from the background: catching up, then in step again (null: nothing to say). */
  back: BackInStep | null;
}

export interface AudioSessionEvents {
  change: AudioState;
}

/** The page's globals, as capability detection reads them. */
const SCOPE = globalThis as unknown as Record<string, unknown>;
/** From the constructors the page has, until the codecs answer (detectFeatures). */
const FIRST_FEATURES = readFeatures(SCOPE);
const FIRST_CAPABILITIES = capabilities(FIRST_FEATURES);
const VOLUME_KEY = 'jamsesh.volume';
const RELAY_KEY = 'jamsesh.relayOnly';
const STATUS_EVERY_MS = 1000;

/**
 * Connects the room (JamClient) to the audio engines: creates this device's Player when it enters
 * a room, runs the HostEngine or the ListenerEngine by role, keeps the host's peer connections in
 * step with the member list, routes signaling, and closes everything when the room is left.
 */
export class AudioSession extends TypedEmitter<AudioSessionEvents> {
  #state: AudioState = {
    phase: 'off',
    error: null,
    capabilities: FIRST_CAPABILITIES,
    support: FIRST_CAPABILITIES.listen,
    secureUrl: null,
    role: null,
    session: null,
    nowPlaying: null,
    syncTable: {},
    own: null,
    volume: readNumber(VOLUME_KEY, 1),
    offsetMs: 0,
    calibration: 'none',
    calibrationRun: null,
    source: 'none',
    link: 'none',
    relayOnly: readNumber(RELAY_KEY, 0) === 1,
    relayAvailable: false,
    decoderSetting: readDecoderSetting(),
    back: null,
  };
  #features: BrowserFeatures = FIRST_FEATURES;
  #iceServers: IceServer[] = [];
  #player: Player | null = null;
  #playerPromise: Promise<Player | null> | null = null;
  /** The output failed to start: no new try until a click asks for one (retryAudio) or another room. */
  #playerFailed = false;
  #host: HostEngine | null = null;
  #queue: FileQueue | null = null;
  #listener: ListenerEngine | null = null;
  #roomCode: string | null = null;
  /** Listener peer ids that were online at the last roster sync, to notice reconnections. */
  #online = new Set<string>();
  #statusTimer: ReturnType<typeof setInterval> | null = null;
  /** Signaling that arrived while this device's engine was still starting (the host's offer). */
  #early: Array<{ from: string; payload: SignalPayload }> = [];
  readonly #unsubscribe: Array<() => void>;
  /** This device's output: its offset per output, its calibration, the calibration signal. */
  readonly outputs = new OutputCalibration();
  #selfId: string | null = null;
  #run: CalibrationRun | null = null;
  #runs = 0;
  #closed = false;

  constructor(
    readonly jam: JamClient,
    readonly signaling: SignalingClient,
  ) {
    super();
    this.#unsubscribe = [
      jam.on('change', (s) => this.#sync(s)),
      signaling.on('message', (m) => {
        if (m.type === 'welcome' && m.secureUrl !== undefined) this.#set({ secureUrl: m.secureUrl });
        if (m.type !== 'signal') return;
        if (this.#host) this.#host.handleSignal(m.from, m.payload);
        else if (this.#listener) this.#listener.handleSignal(m.from, m.payload);
        else if (this.#roomCode !== null && this.#state.support.ok && this.#early.length < 200)
          this.#early.push(m);
      }),
    ];
    this.#state = { ...this.#state, offsetMs: this.outputs.offsetMs, calibration: this.outputs.calibration };
    this.outputs.on('change', ({ offsetMs, calibration }) => {
      this.#host?.setOffset(offsetMs, calibration);
      this.#listener?.setOffset(offsetMs, calibration);
      this.#set({ offsetMs, calibration });
    });
    this.#sync(jam.state);
    // The codecs say whether they take our Opus stream only asynchronously: until then their
    // constructors stand for them (the answer comes within milliseconds, long before a click).
    void detectFeatures(SCOPE).then((features) => {
      if (this.#closed) return;
      this.#features = features;
      const caps = capabilities(features);
      this.#set({ capabilities: caps, support: supportFor(caps, this.#state.role) });
      this.#sync(this.jam.state);
    });
  }

  get state(): AudioState {
    return this.#state;
  }

  get player(): Player | null {
    return this.#player;
  }

  get host(): HostEngine | null {
    return this.#host;
  }

  get listener(): ListenerEngine | null {
    return this.#listener;
  }

  /** The host's file queue (null for listeners). */
  get fileQueue(): FileQueue | null {
    return this.#queue;
  }

  /** From a tap or click: lets the browser start sound. */
  async enableSound(): Promise<void> {
    const player = this.#player;
    if (!player) return;
    await player.resume().catch(() => {});
    if (player.running) this.#showPlayer(player);
  }

  /**
   * The page is back in view (a phone woke, a tab was shown again) after `hiddenMs` hidden: a
   * context the system suspended meanwhile is resumed (the person has interacted with the page
   * before, so browsers allow it); the playout then finds its place again from the output clock,
   * and `back` says so until this device is in step again.
   */
  wake(hiddenMs = 0): void {
    const player = this.#player;
    if (player && !player.running) void player.resume().catch(() => {});
    if (this.#roomCode !== null && this.#state.support.ok) {
      const back = shown(hiddenMs, performance.now());
      if (back) this.#set({ back });
    }
  }

  setVolume(volume: number): void {
    this.#player?.setVolume(volume);
    writeNumber(VOLUME_KEY, volume);
    this.#set({ volume });
  }

  /** Fine offset for this device's speakers, by hand (kept for the output it plays on). */
  setOffset(offsetMs: number): void {
    this.outputs.setOffset(Math.max(-500, Math.min(500, Math.round(offsetMs * 10) / 10)));
  }

  /**
   * Host: acoustic calibration. This device's microphone listens while every connected device
   * (this one included) plays the calibration signal in turn; each gets the offset that brings its
   * sound in line with the others'. With `peerId`, only that device is measured, against a
   * reference that stays as it is (this device, or for this device another one). Call from a click:
   * it asks for the microphone. Progress and outcome: `state.calibrationRun`.
   */
  async calibrate(peerId?: string): Promise<CalibrationProgress | null> {
    const host = this.#host;
    const player = this.#player;
    const self = this.#selfId;
    if (!host || !player || self === null) return null;
    this.#run?.cancel();
    const connected = [self, ...[...host.links.entries()].filter(([, l]) => l.isOpen).map(([id]) => id)];
    let ids = connected;
    let reference: string | null = null;
    if (peerId !== undefined) {
      const table = host.syncTable();
      const others = connected.filter((id) => id !== peerId);
      reference =
        peerId === self
          ? (others.find((id) => table[id]?.calibration === 'calibrated') ?? others[0] ?? null)
          : self;
      if (reference === null || !connected.includes(peerId)) return null;
      ids = [reference, peerId];
    }
    const run = new CalibrationRun(
      ++this.#runs,
      player,
      this.#calibrationRoom(host, self, this.#runs),
      ids,
      reference,
    );
    this.#run = run;
    run.on('progress', (p) => {
      if (this.#run === run) this.#set({ calibrationRun: p });
    });
    return run.start();
  }

  #calibrationRoom(host: HostEngine, self: string, run: number): CalibrationRoom {
    const table = host.syncTable();
    return {
      playAt: (id, atMs) =>
        id === self ? this.outputs.playSignalAt(atMs) : host.sendTo(id, { type: 'chirp', run, atMs }),
      offsetOf: (id) => (id === self ? this.outputs.offsetMs : (table[id]?.offsetMs ?? 0)),
      apply: (id, heard, offsetMs) => {
        if (id === self) this.outputs.applyResult(heard, offsetMs);
        else
          host.sendTo(id, {
            type: 'calibrated',
            run,
            heard,
            ...(offsetMs !== undefined ? { offsetMs } : {}),
          });
      },
    };
  }

  /** Connect through the TURN relay only (hides this device's addresses), or not; the links reconnect. */
  setRelayOnly(relayOnly: boolean): void {
    writeNumber(RELAY_KEY, relayOnly ? 1 : 0);
    this.#set({ relayOnly });
    this.#host?.applyIce();
    this.#listener?.applyIce();
  }

  /** Decode with WebAssembly ('wasm') or the best this browser has ('auto'), from the next start. */
  setDecoderSetting(setting: DecoderSetting): void {
    storeDecoderSetting(setting);
    this.#set({ decoderSetting: setting });
  }

  /** The decoder a new engine runs; only asked where this device can listen, so there is one. */
  #decoder(): DecoderKind {
    return chooseDecoder(this.#features, this.#state.decoderSetting) ?? 'wasm';
  }

  #ice(): IceOptions {
    return { servers: this.#iceServers, relayOnly: this.#state.relayOnly };
  }

  level(): number {
    return this.#player?.level() ?? 0;
  }

  // Host actions ---------------------------------------------------------------------------------

  async shareTab(): Promise<void> {
    await this.#useSource((ctx) => captureTab(ctx));
  }

  async useMic(): Promise<void> {
    await this.#useSource((ctx) => captureMic(ctx));
    // Hearing yourself ~60 ms late while playing is off-putting; the room still hears it.
    this.#host?.setLocalPlayback(false);
  }

  async playClickTrack(): Promise<void> {
    await this.#useSource(async (ctx) => clickTrack(ctx));
  }

  /** Plays a source made elsewhere (the file queue). */
  playSource(source: Source): void {
    const host = this.#host;
    if (!host) return;
    host.setLocalPlayback(true);
    host.setSource(source);
    this.#set({ source: source.kind, error: null });
  }

  stopSource(): void {
    this.#host?.setSource(null);
    this.#set({ source: 'none' });
  }

  setMode(mode: SyncMode): void {
    this.#host?.setMode(mode);
  }

  close(): void {
    this.#closed = true;
    for (const u of this.#unsubscribe) u();
    this.#teardown();
    this.outputs.close();
    this.removeAllListeners();
  }

  // ---------------------------------------------------------------------------------------------

  async #useSource(make: (ctx: AudioContext) => Promise<Source>): Promise<void> {
    // The engine starts asynchronously when the room opens; a quick click waits for it.
    if (!this.#host && this.#roomCode !== null) {
      await this.#ensurePlayer();
      this.#sync(this.jam.state);
    }
    const host = this.#host;
    const player = this.#player;
    if (!host || !player) return;
    try {
      const source = await make(player.ctx);
      host.setLocalPlayback(true);
      host.setSource(source);
      this.#set({ source: source.kind, error: null });
    } catch (err) {
      this.#set({ error: describeMediaError(err) });
    }
  }

  #sync(app: AppState): void {
    const room = app.room && !app.ended && !app.room.ended ? app.room : null;
    if (!room) {
      if (this.#roomCode !== null) this.#teardown();
      return;
    }
    if (this.#roomCode !== room.room.code) {
      // Another room: start over. The first room keeps the output that prepare() started.
      if (this.#roomCode !== null) this.#teardown();
      this.#roomCode = room.room.code;
      this.#selfId = room.self.peerId;
      this.#set({ role: room.self.role, support: supportFor(this.#state.capabilities, room.self.role) });
    }
    if (this.#iceServers !== room.iceServers) {
      // Fresh TURN credentials come with every (re)join and before the last ones expire: new
      // connections use the latest, and live ones take them for their next ICE restart.
      this.#iceServers = room.iceServers;
      this.#set({ relayAvailable: hasTurn(room.iceServers) });
      this.#host?.refreshIceServers();
      this.#listener?.refreshIceServers();
    }
    // Without audio the room still works (chat, members); nothing here tries again by itself, so
    // a device that cannot take its role is told once and is never stuck in a loop of attempts.
    if (!this.#state.support.ok) {
      if (this.#state.phase !== 'unsupported') this.#set({ phase: 'unsupported' });
      return;
    }
    const player = this.#player;
    if (!player) {
      if (!this.#playerFailed) {
        void this.#ensurePlayer().then((started) => {
          if (started) this.#sync(this.jam.state);
        });
      }
      return;
    }
    const sendSignal = (to: string, payload: SignalPayload) => {
      this.signaling.send({ type: 'signal', to, payload });
    };
    if (room.self.role === 'host') {
      if (!this.#host) {
        const host = new HostEngine(player, room.self.peerId, () => this.#ice(), sendSignal, this.#decoder());
        host.setOffset(this.outputs.offsetMs, this.outputs.calibration);
        host.on('syncTable', (syncTable) => this.#set({ syncTable }));
        host.on('session', (session) => this.#set({ session }));
        host.on('nowPlaying', (nowPlaying) => this.#set({ nowPlaying }));
        this.#host = host;
        this.#early = [];
        this.#queue = this.#state.capabilities.sources.file.ok ? this.#makeQueue(player, host) : null;
        this.#set({ session: { delayMs: host.delayMs, mode: host.mode } });
      }
      this.#syncLinks(this.#host, room.members, app.live);
    } else if (!this.#listener) {
      const listener = new ListenerEngine(
        player,
        room.room.hostId,
        () => this.#ice(),
        sendSignal,
        this.#decoder(),
      );
      listener.setOffset(this.outputs.offsetMs, this.outputs.calibration);
      listener.on('chirp', ({ atMs }) => {
        const local = listener.localTimeOf(atMs);
        if (local !== null) this.outputs.playSignalAt(local);
      });
      listener.on('calibrated', ({ heard, offsetMs }) => this.outputs.applyResult(heard, offsetMs));
      listener.on('syncTable', (syncTable) => this.#set({ syncTable }));
      listener.on('session', (session) => this.#set({ session }));
      listener.on('nowPlaying', (nowPlaying) => this.#set({ nowPlaying }));
      listener.on('status', (own) => this.#set({ own }));
      listener.on('link', (link) => this.#set({ link }));
      this.#listener = listener;
      for (const m of this.#early.splice(0)) listener.handleSignal(m.from, m.payload);
    }
    this.#statusTimer ??= setInterval(() => {
      if (this.#host) this.#set({ own: this.#host.syncTable()[room.self.peerId] ?? null });
    }, STATUS_EVERY_MS);
  }

  /** Local files: the queue plays through the same capture as every source when it is activated. */
  #makeQueue(player: Player, host: HostEngine): FileQueue {
    const queue = new FileQueue(player.ctx);
    queue.on('activate', () => {
      if (host.source !== queue.source) this.playSource(queue.source);
    });
    queue.on('nowPlaying', (np) => {
      if (host.source === queue.source) host.setNowPlaying(np);
    });
    return queue;
  }

  /** The host keeps one peer connection per online listener; a listener back online gets a new one. */
  #syncLinks(host: HostEngine, members: Member[], live: boolean): void {
    if (!live) return;
    const online = new Set<string>();
    for (const m of members) {
      if (m.role !== 'listener' || m.presence !== 'online') continue;
      online.add(m.peerId);
      if (!this.#online.has(m.peerId) || !host.links.has(m.peerId)) host.addListener(m.peerId);
    }
    for (const peerId of host.links.keys()) {
      if (!members.some((m) => m.peerId === peerId)) host.removeListener(peerId);
    }
    this.#online = online;
  }

  /**
   * Starts the audio output now, ahead of the room (call it in the Host / Join click): phones let
   * a page start audio only in a gesture, and a fresh output needs a second or two before its
   * timing can be trusted (docs/sync.md), which then overlaps with connecting.
   */
  prepare(): void {
    // After a failure only "Try again" (retryAudio) tries again, not every key typed on the start page.
    if (!this.#playerFailed) void this.#ensurePlayer();
    // An output started earlier without a gesture (or suspended since) resumes in this one.
    this.wake();
  }

  /** From a click, after the output failed to start: one more try. */
  retryAudio(): void {
    if (this.#player || this.#roomCode === null) return;
    this.#playerFailed = false;
    this.#sync(this.jam.state);
  }

  async #ensurePlayer(): Promise<Player | null> {
    if (!this.#state.capabilities.listen.ok) return null;
    this.#playerPromise ??= (async () => {
      this.#set({ phase: 'starting', error: null });
      try {
        const player = await Player.create();
        player.setVolume(this.#state.volume);
        this.#player = player;
        this.outputs.attach(player);
        this.#showPlayer(player);
        player.ctx.addEventListener('statechange', () => {
          if (this.#player === player) this.#showPlayer(player);
        });
        return player;
      } catch (err) {
        console.warn('audio output did not start', err);
        this.#playerFailed = true;
        this.#playerPromise = null;
        this.#set({ phase: 'error', error: 'Could not start audio on this device.' });
        return null;
      }
    })();
    return this.#playerPromise;
  }

  /**
   * The phase from the output's state. A host that cannot host stays `unsupported` even with an
   * output (started on the start page, before the role was known).
   */
  #showPlayer(player: Player): void {
    if (this.#state.phase === 'unsupported') return;
    this.#set({ phase: player.running ? 'ready' : 'needs-gesture' });
  }

  #teardown(): void {
    this.#run?.cancel();
    this.#run = null;
    this.outputs.attach(null);
    this.#selfId = null;
    this.#queue?.close();
    this.#queue = null;
    this.#host?.close();
    this.#listener?.close();
    this.#host = null;
    this.#listener = null;
    this.#player?.close();
    this.#player = null;
    this.#playerPromise = null;
    this.#playerFailed = false;
    this.#roomCode = null;
    this.#online = new Set();
    this.#early = [];
    if (this.#statusTimer) clearInterval(this.#statusTimer);
    this.#statusTimer = null;
    this.#set({
      phase: 'off',
      role: null,
      session: null,
      nowPlaying: null,
      syncTable: {},
      own: null,
      source: 'none',
      link: 'none',
      error: null,
      calibrationRun: null,
      support: this.#state.capabilities.listen,
      back: null,
    });
  }

  #set(patch: Partial<AudioState>): void {
    this.#state = { ...this.#state, ...patch };
    if (this.#state.back && 'own' in patch)
      this.#state = { ...this.#state, back: advance(this.#state.back, this.#state.own, performance.now()) };
    this.emit('change', this.#state);
  }
}

/** This device's support for `role` (listening before it has one: the Player is for both). */
function supportFor(caps: Capabilities, role: Role | null): RoleSupport {
  return role === 'host' ? caps.host : caps.listen;
}

function describeMediaError(err: unknown): string {
  const name = err instanceof DOMException ? err.name : '';
  if (name === 'NotAllowedError') return 'Sharing was cancelled or not allowed.';
  if (name === 'NotFoundError') return 'No microphone or input was found.';
  if (name === 'NotReadableError') return 'The input is busy in another app.';
  if (err instanceof Error && err.message.startsWith('No audio was shared')) return err.message;
  return 'Could not start that source.';
}

function readNumber(key: string, fallback: number): number {
  try {
    const v = Number(localStorage.getItem(key));
    return localStorage.getItem(key) !== null && Number.isFinite(v) ? v : fallback;
  } catch {
    return fallback;
  }
}

function writeNumber(key: string, value: number): void {
  try {
    localStorage.setItem(key, String(value));
  } catch {
    // Private mode: the setting lasts for this page only.
  }
}
