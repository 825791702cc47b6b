import type { FileQueue } from '../media/FileQueue.js';
import type { LockScreenAction, LockScreenState } from './lockScreen.js';

/** What of the browser's Media Session this writes (navigator.mediaSession), so tests can pass their own. */
export type MediaSessionLike = Pick<
  MediaSession,
  'metadata' | 'playbackState' | 'setActionHandler' | 'setPositionState'
>;

const ACTIONS: readonly LockScreenAction[] = ['play', 'pause', 'nexttrack', 'previoustrack'];
/** The app's icon as the lock screen's artwork. */
const ARTWORK: MediaImage[] = [
  { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
  { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
];

/**
 * Writes a LockScreenState into the browser's Media Session: the metadata (only when it changes,
 * since the AudioSession changes every second), the playback state, the position of a file, and
 * the action handlers, which drive the host's file queue.
 */
export class MediaSessionBridge {
  #shown = '';
  #actions = '';

  constructor(
    readonly session: MediaSessionLike,
    readonly makeMetadata: (init: MediaMetadataInit) => MediaMetadata,
  ) {}

  show(state: LockScreenState, queue: FileQueue | null): void {
    const shown = JSON.stringify([state.info, state.position, state.playback]);
    if (shown !== this.#shown) {
      this.#shown = shown;
      this.session.metadata = state.info ? this.makeMetadata({ ...state.info, artwork: ARTWORK }) : null;
      this.session.playbackState = state.playback;
      try {
        if (state.position)
          this.session.setPositionState({
            duration: state.position.durationS,
            position: state.position.positionS,
            playbackRate: state.playback === 'playing' ? 1 : 0,
          });
        else this.session.setPositionState();
      } catch {
        // Older browsers reject a rate of 0 or have no setPositionState: the bar is a nicety.
      }
    }
    const actions = state.actions.join();
    if (actions === this.#actions) return;
    this.#actions = actions;
    for (const action of ACTIONS) {
      const run = state.actions.includes(action) && queue ? () => this.#run(action, queue) : null;
      try {
        this.session.setActionHandler(action, run);
      } catch {
        // An action this browser does not know.
      }
    }
  }

  #run(action: LockScreenAction, queue: FileQueue): void {
    if (queue.closed) return;
    if (action === 'play') queue.play();
    else if (action === 'pause') queue.pause();
    else if (action === 'nexttrack') queue.next();
    else queue.previous();
  }
}
