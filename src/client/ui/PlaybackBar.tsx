import { useEffect, useRef, useState } from 'preact/hooks';
import { formatElapsed } from '../text/time.js';

/**
 * What is playing and for how long the jam has run. Audio arrives in a later issue; this is where
 * the track, the transport and the sync state will go.
 */
export function PlaybackBar({
  createdAt,
  serverNow,
  isHost,
}: {
  /** Server clock, ms since the epoch. */
  createdAt: number;
  serverNow: () => number;
  isHost: boolean;
}) {
  const elapsed = useSecondTicker(() => serverNow() - createdAt);
  return (
    <section class="card playback" data-testid="playback-bar" aria-label="Playback">
      <div class="now-playing">
        <div class="art" aria-hidden="true">
          ♪
        </div>
        <div class="track">
          <p class="track-title">Waiting for the host to play something</p>
          <p class="hint">
            {isHost ? 'Playing audio from this device arrives in a coming update.' : 'You will hear it here.'}
          </p>
        </div>
      </div>
      <div class="session">
        <span class="session-label">Session</span>{' '}
        <span class="elapsed" data-testid="elapsed" role="timer">
          {formatElapsed(elapsed)}
        </span>
      </div>
    </section>
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
