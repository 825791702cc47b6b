import type { JSX } from 'preact';
import { useEffect } from 'preact/hooks';
import { formatRoomCode } from '../protocol/index.js';
import type { AudioSession } from './media/AudioSession.js';
import type { PhoneSession } from './phone/PhoneSession.js';
import type { JamClient } from './state/JamClient.js';
import { statusText } from './state/status.js';
import { Landing } from './ui/Landing.js';
import { Rejoining, RoomEnded } from './ui/RoomEnded.js';
import { RoomPage } from './ui/RoomPage.js';
import { useJamState } from './ui/useJamState.js';

/** The whole app: a status banner over one page, chosen from the JamClient's state. */
export function App({ jam, audio, phone }: { jam: JamClient; audio: AudioSession; phone: PhoneSession }) {
  const state = useJamState(jam);
  const banner = statusText(state);
  const inRoom = state.room && !state.ended ? state.room.room.code : null;

  useEffect(() => {
    document.title = inRoom ? `JamSesh - ${formatRoomCode(inRoom)}` : 'JamSesh';
  }, [inRoom]);

  let page: JSX.Element;
  if (state.ended) {
    page = (
      <RoomEnded reason={state.ended.reason} wasHost={state.ended.wasHost} onBack={() => jam.backToStart()} />
    );
  } else if (state.room) {
    page = <RoomPage jam={jam} audio={audio} phone={phone} state={state} room={state.room} />;
  } else if (state.restoring) {
    page = <Rejoining onCancel={() => jam.leave()} />;
  } else {
    page = <Landing jam={jam} state={state} audio={audio} />;
  }

  return (
    <div class="app">
      <header class="topbar">
        <span class="brand">
          <span class="brand-mark" aria-hidden="true">
            ◉
          </span>
          JamSesh
        </span>
      </header>
      {banner && (
        <div class="status" data-testid="status" role="status">
          {banner}
        </div>
      )}
      {page}
    </div>
  );
}
