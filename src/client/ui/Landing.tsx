import { useEffect, useState } from 'preact/hooks';
import { formatRoomCode, LIMITS, normalizeRoomCode } from '../../protocol/index.js';
import type { AudioSession } from '../media/AudioSession.js';
import type { AppState, JamClient } from '../state/JamClient.js';
import { CapabilityNote } from './CapabilityNote.js';
import { useAudioState } from './useAudioState.js';

/** The start page: a name, then host a jam or join one by code. */
export function Landing({
  jam,
  state,
  audio,
}: {
  jam: JamClient;
  state: AppState;
  /**
   * This device's audio: its output is started (`prepare()`, phones allow it only in a gesture) as
   * soon as the person types, not only in the Join click: a fresh output needs 1-2 s before its
   * reported latency settles and the playout can trust it, and that time passes while they type.
   * And what it can do as host and as listener, said before anyone picks.
   */
  audio: AudioSession;
}) {
  const audioState = useAudioState(audio);
  const prepareAudio = () => audio.prepare();
  const [name, setName] = useState(state.name);
  const [code, setCode] = useState(state.landingCode);
  useEffect(() => setCode(state.landingCode), [state.landingCode]);
  const busy = state.pending !== null;

  const host = () => {
    prepareAudio();
    void jam.host(name);
  };
  const join = (event: Event) => {
    event.preventDefault();
    prepareAudio();
    void jam.join(code, name);
  };

  return (
    <main class="landing">
      <section class="hero">
        <h1>Listen together.</h1>
        <p>Host a jam and share its code, or join a friend's jam with theirs.</p>
      </section>
      <div class="card landing-card">
        <label class="field">
          <span>Your name</span>
          <input
            data-testid="name-input"
            type="text"
            value={name}
            maxLength={LIMITS.nameMaxLength}
            autoComplete="nickname"
            placeholder="What should others call you?"
            enterKeyHint="go"
            onInput={(e) => {
              setName(e.currentTarget.value);
              jam.dismissError();
              prepareAudio();
            }}
            onKeyDown={(e) => {
              if (e.key !== 'Enter' || busy) return;
              if (code.trim() !== '') void jam.join(code, name);
              else host();
            }}
          />
        </label>
        <div class="choices">
          <section class="choice">
            <h2>Start a jam</h2>
            <p class="hint">You get a code and a link to share.</p>
            <button type="button" class="primary" data-testid="host-button" disabled={busy} onClick={host}>
              {state.pending === 'create' ? 'Starting...' : 'Host a Jam'}
            </button>
          </section>
          <form class="choice" onSubmit={join}>
            <h2>Join a jam</h2>
            <label class="field">
              <span>Jam code</span>
              <input
                data-testid="code-input"
                class="code-input"
                type="text"
                value={code}
                maxLength={32}
                autoComplete="off"
                autoCapitalize="characters"
                spellcheck={false}
                placeholder="K7Q 4MZ"
                enterKeyHint="go"
                onInput={(e) => {
                  setCode(e.currentTarget.value);
                  jam.dismissError();
                  prepareAudio();
                }}
                onBlur={() => {
                  const normal = normalizeRoomCode(code);
                  if (normal) setCode(formatRoomCode(normal));
                }}
              />
            </label>
            <button type="submit" data-testid="join-button" disabled={busy}>
              {state.pending === 'join' ? 'Joining...' : 'Join a Jam'}
            </button>
          </form>
        </div>
        <CapabilityNote capabilities={audioState.capabilities} secureUrl={audioState.secureUrl} />
        {state.error && (
          <p class="error" data-testid="error" role="alert">
            {state.error}
          </p>
        )}
      </div>
    </main>
  );
}
