import { useEffect, useRef, useState } from 'preact/hooks';
import type { NowPlaying } from '../../protocol/media.js';
import type { AudioSession, AudioState } from '../media/AudioSession.js';
import { HOST_SOURCES } from '../media/capabilities.js';
import { describeBack } from '../phone/backInStep.js';
import type { ScreenWake } from '../phone/ScreenWake.js';
import { sourceUnavailable } from '../text/capabilities.js';
import { nowPlayingTitle, WAITING_FOR_HOST } from '../text/nowPlaying.js';
import { describeSync, formatMs } from '../text/sync.js';
import { describeUnsupported } from '../text/unsupported.js';
import { CapabilityNote } from './CapabilityNote.js';
import { KeepAwake } from './KeepAwake.js';

/**
 * Settings start open where there is room for them (a computer), closed on a phone, where what a
 * listener needs comes first. Read once: the person's own opening or closing then stands.
 */
const WIDE_SCREEN = '(min-width: 720px)';

/**
 * The audio part of the room, in the order a listener on a phone needs it: what plays, whether
 * this device is in sync, the host's sources, volume, keeping the screen on; the fine offset, the
 * relay and the details of sync behind one "Settings" disclosure. A tap-to-start button appears
 * when the browser wants a gesture.
 */
export function AudioPanel({
  audio,
  state,
  wake,
}: {
  audio: AudioSession;
  state: AudioState;
  wake: ScreenWake;
}) {
  const host = state.role === 'host';
  const np = state.nowPlaying;
  const title = nowPlayingTitle(np);
  const [settingsOpen] = useState(() => globalThis.matchMedia?.(WIDE_SCREEN).matches ?? true);
  if (state.phase === 'unsupported' && !state.support.ok) {
    return (
      <div class="audio-panel" data-testid="audio-panel">
        <Unsupported support={state.support} secureUrl={state.secureUrl} role={state.role} />
      </div>
    );
  }
  return (
    <div class="audio-panel" data-testid="audio-panel">
      {state.phase === 'needs-gesture' && (
        <button
          type="button"
          class="primary"
          data-testid="enable-sound"
          onClick={() => void audio.enableSound()}
        >
          Tap to turn on sound
        </button>
      )}
      {state.phase === 'starting' && <p class="hint">Starting audio...</p>}
      {state.error && (
        <p class="audio-error" role="alert" data-testid="audio-error">
          {state.error}
        </p>
      )}
      {state.phase === 'error' && (
        <button type="button" data-testid="retry-audio" onClick={() => audio.retryAudio()}>
          Try again
        </button>
      )}
      <p class="track-title" data-testid="now-playing">
        {title ?? WAITING_FOR_HOST}
        {np?.artist ? <span class="artist"> - {np.artist}</span> : null}
      </p>
      {np?.source === 'file' && np.durationMs !== undefined && <FileProgress np={np} />}
      <SyncLine state={state} />
      {state.back && (
        <p
          class="hint back-note"
          role="status"
          data-testid="back-in-step"
          data-in-step={state.back.inStepAt !== null}
        >
          {describeBack(state.back)}
        </p>
      )}
      {host && <HostControls audio={audio} state={state} />}
      <CapabilityNote capabilities={state.capabilities} secureUrl={state.secureUrl} onlyIfLimited />
      <div class="device-row">
        <label class="volume">
          <span class="label">Volume</span>
          <input
            type="range"
            min="0"
            max="1"
            step="0.01"
            value={state.volume}
            data-testid="volume"
            onInput={(e) => audio.setVolume(Number((e.target as HTMLInputElement).value))}
          />
        </label>
        <LevelMeter audio={audio} />
      </div>
      <KeepAwake wake={wake} />
      <details class="settings" data-testid="settings" open={settingsOpen}>
        <summary data-testid="settings-toggle">Settings</summary>
        <Settings audio={audio} state={state} />
      </details>
    </div>
  );
}

/** In sync or not, in a few words, where a glance finds it. */
function SyncLine({ state }: { state: AudioState }) {
  const own = state.own;
  if (state.phase !== 'ready' || !state.nowPlaying || state.nowPlaying.source === 'none') return null;
  return (
    <p
      class={own?.inSync ? 'sync-line in-sync' : 'sync-line'}
      data-testid="sync-state"
      data-in-sync={Boolean(own?.inSync)}
    >
      {own?.inSync ? 'In sync with the room' : 'Getting in sync...'}
    </p>
  );
}

/** The expert part: fine offset, relay only, and this device's sync in figures. */
function Settings({ audio, state }: { audio: AudioSession; state: AudioState }) {
  return (
    <div class="settings-body">
      <div class="device-row">
        <span class="label">Fine offset</span>
        {[-5, -1].map((step) => (
          <OffsetButton key={step} step={step} audio={audio} offsetMs={state.offsetMs} />
        ))}
        <span class="offset" data-testid="offset">
          {state.offsetMs > 0 ? '+' : ''}
          {state.offsetMs} ms
        </span>
        {[1, 5].map((step) => (
          <OffsetButton key={step} step={step} audio={audio} offsetMs={state.offsetMs} />
        ))}
      </div>
      <label class="device-row relay-only">
        <input
          type="checkbox"
          data-testid="relay-only"
          checked={state.relayOnly && state.relayAvailable}
          disabled={!state.relayAvailable}
          onChange={(e) => audio.setRelayOnly((e.target as HTMLInputElement).checked)}
        />
        <span>
          Connect through the server's relay only
          <span class="hint">
            {state.relayAvailable
              ? ' (hides this device’s IP address from the others; a little more delay)'
              : ' (this server has no relay)'}
          </span>
        </span>
      </label>
      {state.capabilities.decoder === 'webcodecs' && (
        <label class="device-row relay-only">
          <input
            type="checkbox"
            data-testid="decoder-wasm"
            checked={state.decoderSetting === 'wasm'}
            onChange={(e) =>
              audio.setDecoderSetting((e.target as HTMLInputElement).checked ? 'wasm' : 'auto')
            }
          />
          <span>
            Decode with the app's own Opus decoder
            <span class="hint"> (WebAssembly instead of this browser's; from the next time you join)</span>
          </span>
        </label>
      )}
      <p class="hint" data-testid="own-sync">
        This device: {describeSync(state.own ?? undefined)}
        {state.session ? ` · room delay ${Math.round(state.session.delayMs)} ms (${state.session.mode})` : ''}
        {state.own && state.own.clockUncertaintyMs >= 0 && state.role !== 'host'
          ? ` · clock ±${formatMs(state.own.clockUncertaintyMs)}`
          : ''}
      </p>
    </div>
  );
}

/** Why this device plays no sound, and where to go for it; the rest of the room works. */
function Unsupported({
  support,
  secureUrl,
  role,
}: {
  support: Exclude<AudioState['support'], { ok: true }>;
  secureUrl: string | null;
  role: AudioState['role'];
}) {
  const words = describeUnsupported(support, secureUrl, location.pathname, role ?? 'listener');
  return (
    <p class="audio-error" role="alert" data-testid="audio-unsupported" data-cause={support.cause}>
      {words.text}
      {words.link && (
        <>
          {' '}
          <a href={words.link} data-testid="secure-link">
            {words.link}
          </a>
        </>
      )}
    </p>
  );
}

/** Nudges this device's output later (+) or earlier (-) by `step` ms. */
function OffsetButton({ step, audio, offsetMs }: { step: number; audio: AudioSession; offsetMs: number }) {
  return (
    <button
      type="button"
      class="small"
      onClick={() => audio.setOffset(offsetMs + step)}
      aria-label={`${Math.abs(step)} ms ${step < 0 ? 'earlier' : 'later'}`}
    >
      {step < 0 ? `−${-step}` : `+${step}`}
    </button>
  );
}

function HostControls({ audio, state }: { audio: AudioSession; state: AudioState }) {
  const sources = state.capabilities.sources;
  // A source this browser cannot offer is not offered; one line below says why.
  const reasons = HOST_SOURCES.flatMap((s) => {
    const why = sourceUnavailable(s, sources[s]);
    return why ? [{ source: s, why }] : [];
  });
  return (
    <div class="host-controls">
      <fieldset class="source-buttons">
        <legend class="label">Play from</legend>
        {sources.tab.ok && (
          <button type="button" data-testid="source-tab" onClick={() => void audio.shareTab()}>
            Share a tab
          </button>
        )}
        {sources.mic.ok && (
          <button type="button" data-testid="source-mic" onClick={() => void audio.useMic()}>
            Mic / line-in
          </button>
        )}
        <button type="button" data-testid="source-test" onClick={() => void audio.playClickTrack()}>
          Click track
        </button>
        {state.source !== 'none' && (
          <button type="button" class="subtle" data-testid="source-stop" onClick={() => audio.stopSource()}>
            Stop
          </button>
        )}
      </fieldset>
      {reasons.map(({ source, why }) => (
        <p key={source} class="hint" data-testid={`source-unavailable-${source}`}>
          {why}
        </p>
      ))}
      <fieldset class="mode">
        <legend class="label">Mode</legend>
        {(['live', 'party'] as const).map((mode) => (
          <button
            type="button"
            key={mode}
            class={state.session?.mode === mode ? 'small primary' : 'small'}
            aria-pressed={state.session?.mode === mode}
            data-testid={`mode-${mode}`}
            onClick={() => audio.setMode(mode)}
            title={
              mode === 'live'
                ? 'Lowest delay: for one room on good Wi-Fi'
                : 'Robust: for weak Wi-Fi and friends far away'
            }
          >
            {mode === 'live' ? 'Live' : 'Party'}
          </button>
        ))}
      </fieldset>
    </div>
  );
}

/** A bar showing the output level, redrawn ~20 times a second without re-rendering the page. */
function LevelMeter({ audio }: { audio: AudioSession }) {
  const bar = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let frame = 0;
    const draw = () => {
      const level = audio.level();
      // -60 dBFS .. 0 dBFS across the bar.
      const db = level > 0 ? 20 * Math.log10(level) : -60;
      const pct = Math.max(0, Math.min(100, ((db + 60) / 60) * 100));
      if (bar.current) bar.current.style.width = `${pct}%`;
      frame = window.setTimeout(draw, 50);
    };
    draw();
    return () => clearTimeout(frame);
  }, [audio]);
  return (
    <div class="meter" aria-hidden="true" data-testid="level-meter">
      <div class="meter-bar" ref={bar} />
    </div>
  );
}

/** Position in the host's file, for everyone: from the host's last report, advanced locally. */
function FileProgress({ np }: { np: NowPlaying }) {
  const [now, setNow] = useState(() => performance.timeOrigin + performance.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(performance.timeOrigin + performance.now()), 500);
    return () => clearInterval(timer);
  }, []);
  const duration = np.durationMs ?? 0;
  // The host clock and this one agree to well under a second: good enough for a position display.
  const position = Math.min(duration, (np.positionMs ?? 0) + (np.playing ? Math.max(0, now - np.at) : 0));
  return (
    <p class="hint file-progress" data-testid="file-progress">
      {formatClock(position)} / {formatClock(duration)}
      {np.playing ? '' : ' (paused)'}
    </p>
  );
}

function formatClock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
