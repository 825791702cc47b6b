import { useEffect, useState } from 'preact/hooks';
import type { ScreenWake, ScreenWakeState } from '../phone/ScreenWake.js';
import type { WakeStatus } from '../phone/wakePolicy.js';

const WORDS: Record<WakeStatus, string> = {
  off: 'The screen may turn off; on a phone that can stop the sound.',
  unsupported:
    'This browser cannot keep the screen on: set a longer screen timeout, or the sound may stop when it locks.',
  held: 'The screen stays on while you are in the jam.',
  waiting: 'The screen will stay on while this page is in front.',
  refused: 'The browser refused to keep the screen on (battery saver?).',
};

/** The Screen Wake Lock toggle, and what the browser made of it, in plain words. */
export function KeepAwake({ wake }: { wake: ScreenWake }) {
  const [state, setState] = useState<ScreenWakeState>(wake.state);
  useEffect(() => {
    setState(wake.state);
    return wake.on('change', setState);
  }, [wake]);
  const unsupported = state.status === 'unsupported';
  return (
    <label class="device-row keep-awake">
      <input
        type="checkbox"
        data-testid="keep-awake"
        checked={state.enabled && !unsupported}
        disabled={unsupported}
        onChange={(e) => wake.setEnabled((e.target as HTMLInputElement).checked)}
      />
      <span>
        Keep the screen on
        <span class="hint" data-testid="keep-awake-status" data-status={state.status}>
          {' '}
          {WORDS[state.status]}
        </span>
      </span>
    </label>
  );
}
