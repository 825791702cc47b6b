import type { AudioSession } from '../media/AudioSession.js';
import type { JamClient } from '../state/JamClient.js';
import { lockScreenState } from './lockScreen.js';
import { MediaSessionBridge } from './MediaSessionBridge.js';
import { ScreenWake } from './ScreenWake.js';

/** Safari's `navigator.audioSession` (16.4+; no type in lib.dom yet). */
interface AudioSessionApi {
  type: 'auto' | 'playback' | 'transient' | 'transient-solo' | 'ambient' | 'play-and-record';
}

/**
 * What a phone needs around the audio engine, following the room: the screen kept on, what plays
 * on the lock screen (Media Session), and, in Safari, an audio session of type 'playback' while in
 * a room, so the ring/silent switch does not mute the music and other apps' sound pauses for it.
 */
export class PhoneSession {
  readonly wake: ScreenWake;
  readonly #lockScreen: MediaSessionBridge | null;
  readonly #audioSession: AudioSessionApi | null;
  readonly #unsubscribe: () => void;

  constructor(
    readonly audio: AudioSession,
    readonly jam: JamClient,
  ) {
    let storage: Storage | null = null;
    try {
      storage = localStorage;
    } catch {
      // Storage blocked: the choice lasts for this page only.
    }
    this.wake = new ScreenWake({ wakeLock: navigator.wakeLock, document, storage });
    this.#lockScreen =
      'mediaSession' in navigator && typeof MediaMetadata === 'function'
        ? new MediaSessionBridge(navigator.mediaSession, (init) => new MediaMetadata(init))
        : null;
    const nav = navigator as Navigator & { audioSession?: AudioSessionApi };
    this.#audioSession = nav.audioSession ?? null;
    this.#unsubscribe = audio.on('change', () => this.#follow());
    this.#follow();
  }

  #follow(): void {
    const s = this.audio.state;
    const code = this.jam.state.room?.room.code ?? null;
    const inRoom = s.role !== null && code !== null;
    this.wake.setInRoom(inRoom);
    if (this.#audioSession) {
      const type = inRoom ? 'playback' : 'auto';
      if (this.#audioSession.type !== type) this.#audioSession.type = type;
    }
    this.#lockScreen?.show(
      lockScreenState(
        inRoom && s.role ? { code, role: s.role, hasFileQueue: this.audio.fileQueue !== null } : null,
        s.nowPlaying,
        performance.timeOrigin + performance.now(),
      ),
      this.audio.fileQueue,
    );
  }

  close(): void {
    this.#unsubscribe();
    this.wake.setInRoom(false);
  }
}
