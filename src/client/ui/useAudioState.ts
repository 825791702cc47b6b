import { useEffect, useState } from 'preact/hooks';
import type { AudioSession, AudioState } from '../media/AudioSession.js';

/** The AudioSession's state, re-rendering on every change. */
export function useAudioState(audio: AudioSession): AudioState {
  const [state, setState] = useState(audio.state);
  useEffect(() => {
    setState(audio.state);
    return audio.on('change', setState);
  }, [audio]);
  return state;
}
