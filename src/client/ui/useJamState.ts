import { useEffect, useState } from 'preact/hooks';
import type { AppState, JamClient } from '../state/JamClient.js';

/** The JamClient's state, re-rendering on every change. */
export function useJamState(jam: JamClient): AppState {
  const [state, setState] = useState(jam.state);
  useEffect(() => {
    setState(jam.state);
    return jam.on('change', setState);
  }, [jam]);
  return state;
}
