import { useEffect, useState } from 'preact/hooks';
import { formatRoomCode } from '../../protocol/index.js';
import type { AudioSession } from '../media/AudioSession.js';
import type { PhoneSession } from '../phone/PhoneSession.js';
import type { AppState, JamClient } from '../state/JamClient.js';
import { isHost, type RoomState } from '../state/roomState.js';
import { CalibratePanel } from './CalibratePanel.js';
import { ChatPanel } from './ChatPanel.js';
import { InvitePanel } from './InvitePanel.js';
import { MemberList } from './MemberList.js';
import { PlaybackBar } from './PlaybackBar.js';
import { useAudioState } from './useAudioState.js';

/** Inside a jam: its code and the way out, playback, the invite, who is here, and the chat. */
export function RoomPage({
  jam,
  audio,
  phone,
  state,
  room,
}: {
  jam: JamClient;
  audio: AudioSession;
  phone: PhoneSession;
  state: AppState;
  room: RoomState;
}) {
  const audioState = useAudioState(audio);
  const code = room.room.code;
  const host = isHost(room);
  return (
    <main class={state.live ? 'room' : 'room stale'}>
      <section class="card room-head">
        <div class="code-block">
          <span class="label">Jam code</span>
          <span class="room-code" data-testid="room-code" data-code={code}>
            {formatRoomCode(code)}
          </span>
        </div>
        <RoomActions host={host} onEnd={() => jam.endJam()} onLeave={() => jam.leave()} />
      </section>
      <PlaybackBar
        createdAt={room.room.createdAt}
        serverNow={() => jam.serverNow()}
        audio={audio}
        wake={phone.wake}
      />
      <div class="room-grid">
        <div class="side">
          <MemberList room={room} sync={audioState.syncTable} onKick={(peerId) => jam.kick(peerId)} />
          {/* Calibration listens through this device's microphone. */}
          {host && audioState.phase !== 'unsupported' && audioState.capabilities.sources.mic.ok && (
            <CalibratePanel audio={audio} state={audioState} members={room.members} />
          )}
          <InvitePanel link={jam.joinLink(code)} />
        </div>
        <ChatPanel
          messages={room.chat}
          selfId={room.self.peerId}
          toLocalTime={(t) => jam.toLocalTime(t)}
          onSend={(text) => jam.sendChat(text)}
          error={state.error}
          rejected={state.rejectedChat}
          disabled={!state.live}
        />
      </div>
    </main>
  );
}

/**
 * Leave, and for the host End jam. Ending throws everyone out, so it takes a second click on an
 * inline "End for everyone" (never window.confirm: it blocks the page and automated tests).
 */
function RoomActions({ host, onEnd, onLeave }: { host: boolean; onEnd: () => void; onLeave: () => void }) {
  const [confirming, setConfirming] = useState(false);
  useEffect(() => {
    if (!confirming) return;
    const timer = setTimeout(() => setConfirming(false), 6000);
    return () => clearTimeout(timer);
  }, [confirming]);

  if (host && confirming) {
    return (
      <div class="room-actions confirm">
        <span class="confirm-text">End the jam for everyone?</span>
        <button type="button" class="danger" data-testid="close-room-confirm" onClick={onEnd}>
          End for everyone
        </button>
        <button type="button" onClick={() => setConfirming(false)}>
          Cancel
        </button>
      </div>
    );
  }
  return (
    <div class="room-actions">
      {host && (
        <button
          type="button"
          class="danger"
          data-testid="close-room-button"
          onClick={() => setConfirming(true)}
        >
          End jam
        </button>
      )}
      <button
        type="button"
        data-testid="leave-button"
        title={host ? 'As the host, leaving ends the jam for everyone' : undefined}
        onClick={onLeave}
      >
        Leave
      </button>
    </div>
  );
}
