import type { Member } from '../../protocol/index.js';
import type { AudioSession, AudioState } from '../media/AudioSession.js';
import type { CalibrationEntry, CalibrationProgress } from '../media/CalibrationRun.js';
import { describeCalibrationEntry, describeCalibrationPhase } from '../text/calibration.js';

/**
 * Host: acoustic calibration. This device's microphone listens while every device plays a short
 * chirp in turn; the outcome per device, and a way to run it again for one device or all.
 */
export function CalibratePanel({
  audio,
  state,
  members,
}: {
  audio: AudioSession;
  state: AudioState;
  members: Member[];
}) {
  const run = state.calibrationRun;
  const busy = run !== null && ['starting', 'listening', 'analysing'].includes(run.phase);
  const online = members.filter((m) => m.presence === 'online');
  const name = (peerId: string) => members.find((m) => m.peerId === peerId)?.name ?? 'A device that left';
  return (
    <section class="card calibrate" aria-labelledby="calibrate-title" data-testid="calibrate-panel">
      <h2 id="calibrate-title">Calibrate the speakers</h2>
      <p class="hint">
        Browsers do not know exactly when sound leaves a speaker (Bluetooth can be off by a few hundred ms).
        This device’s microphone listens while every device plays a short chirp in turn, and each then gets
        the offset that lines it up with the others. Put this device where people listen: sound travels 2.9 ms
        per metre, so the room is lined up for that spot. Music can keep playing; a quieter moment helps.
      </p>
      <button
        type="button"
        class="primary"
        data-testid="calibrate-all"
        disabled={busy || online.length < 2 || state.phase !== 'ready'}
        onClick={() => void audio.calibrate()}
      >
        {run ? 'Calibrate again' : 'Calibrate all devices'}
      </button>
      {run && <RunView run={run} name={name} busy={busy} audio={audio} />}
    </section>
  );
}

function RunView({
  run,
  name,
  busy,
  audio,
}: {
  run: CalibrationProgress;
  name: (peerId: string) => string;
  busy: boolean;
  audio: AudioSession;
}) {
  return (
    <div class="calibration-run">
      <p
        class={run.phase === 'error' ? 'audio-error' : 'hint'}
        role={run.phase === 'error' ? 'alert' : 'status'}
        data-testid="calibration-status"
        data-phase={run.phase}
        data-run={run.run}
      >
        {run.phase === 'error' ? run.error : describeCalibrationPhase(run)}
      </p>
      {run.phase === 'done' && (
        <ul class="calibration-results">
          {run.entries.map((e: CalibrationEntry) => (
            <li
              key={e.peerId}
              data-testid="calibration-entry"
              data-peer-id={e.peerId}
              data-state={e.state}
              data-rounds={e.rounds?.map((r) => r ?? '-').join(' ')}
              data-offset={e.offsetMs}
            >
              <span class="member-name">{name(e.peerId)}</span> <span>{describeCalibrationEntry(e)}</span>{' '}
              <button
                type="button"
                class="small subtle"
                data-testid="calibrate-one"
                disabled={busy}
                onClick={() => void audio.calibrate(e.peerId)}
              >
                Again
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
