import { useEffect, useRef, useState } from 'preact/hooks';
import type { AudioSession } from '../media/AudioSession.js';
import type { ScreenWake } from '../phone/ScreenWake.js';
import { formatElapsed } from '../text/time.js';
import { AudioPanel } from './AudioPanel.js';
import { QueuePanel } from './QueuePanel.js';
import { useAudioState } from './useAudioState.js';

/** What is playing, the audio controls, and for how long the jam has run. */
export function PlaybackBar({
  createdAt,
  serverNow,
  audio,
  wake,
}: {
  /** Server clock, ms since the epoch. */
  createdAt: number;
  serverNow: () => number;
  audio: AudioSession;
  wake: ScreenWake;
}) {
  const elapsed = useSecondTicker(() => serverNow() - createdAt);
  const audioState = useAudioState(audio);
  return (
    <>
      <section class="card playback" data-testid="playback-bar" aria-label="Playback">
        <div class="now-playing">
          <div class="art" aria-hidden="true">
            ♪
          </div>
          <div class="track">
            <AudioPanel audio={audio} state={audioState} wake={wake} />
          </div>
        </div>
        <div class="session">
          <span class="session-label">Session</span>{' '}
          <span class="elapsed" data-testid="elapsed" role="timer">
            {formatElapsed(elapsed)}
          </span>
        </div>
      </section>
      <QueuePanel queue={audio.fileQueue} isHost={audioState.role === 'host'} />
    </>
  );
}

/** `read()` re-read just after every whole second of it, so a clock shown from it never skips. */
function useSecondTicker(read: () => number): number {
  const [value, setValue] = useState(read);
  // The latest `read` without restarting the timer on every render.
  const readRef = useRef(read);
  readRef.current = read;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout>;
    const tick = () => {
      const now = readRef.current();
      setValue(now);
      // Wake 20 ms past the next boundary: a timer firing a little early must not show the old second.
      timer = setTimeout(tick, 1000 - (((now % 1000) + 1000) % 1000) + 20);
    };
    tick();
    return () => clearTimeout(timer);
  }, []);
  return value;
}
