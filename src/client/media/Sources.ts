import type { SourceKind } from '../../protocol/media.js';

/**
 * What the host plays, as an AudioNode in the host's context that the capture node listens to.
 * Every source is connected to the same capture node, so switching source keeps the stream (and
 * every listener's sync) going: only the sound changes.
 */
export interface Source {
  readonly kind: SourceKind;
  readonly node: AudioNode;
  /** Title for the playback bar. */
  readonly title: string;
  /** Ends the source (stops capture tracks, pauses files). Idempotent. */
  stop(): void;
  /** Fires when the source ends on its own (the person stopped sharing the tab). */
  onEnded?: (() => void) | undefined;
}

/** Processing that would change music: echo cancellation, noise suppression, gain control off. */
const MUSIC_AUDIO: MediaTrackConstraints = {
  echoCancellation: false,
  noiseSuppression: false,
  autoGainControl: false,
  channelCount: { ideal: 2 },
  sampleRate: { ideal: 48_000 },
};

function streamSource(ctx: AudioContext, stream: MediaStream, kind: SourceKind, title: string): Source {
  const node = ctx.createMediaStreamSource(stream);
  let stopped = false;
  const source: Source = {
    kind,
    node,
    title,
    stop() {
      if (stopped) return;
      stopped = true;
      node.disconnect();
      for (const t of stream.getTracks()) t.stop();
    },
  };
  for (const t of stream.getAudioTracks()) {
    t.addEventListener('ended', () => {
      if (!stopped) source.onEnded?.();
    });
  }
  return source;
}

/**
 * A browser tab or the whole system's audio, through screen sharing. The video track is dropped at
 * once; where the browser supports it, the captured tab is asked not to play locally, so the host
 * device plays the synced stream instead and sits in sync with the room.
 */
export async function captureTab(ctx: AudioContext): Promise<Source> {
  const stream = await navigator.mediaDevices.getDisplayMedia({
    video: true,
    audio: { ...MUSIC_AUDIO, suppressLocalAudioPlayback: true } as MediaTrackConstraints,
    // Chromium: offer "share system audio" and tab audio.
    systemAudio: 'include',
    selfBrowserSurface: 'exclude',
  } as DisplayMediaStreamOptions);
  for (const v of stream.getVideoTracks()) {
    v.stop();
    stream.removeTrack(v);
  }
  const audio = stream.getAudioTracks()[0];
  if (!audio) {
    throw new Error('No audio was shared. Share again and tick "Share tab audio" (or "Share system audio").');
  }
  return streamSource(ctx, stream, 'tab', audio.label || 'Shared tab audio');
}

/** A microphone or line-in (an instrument), with all voice processing off. */
export async function captureMic(ctx: AudioContext, deviceId?: string): Promise<Source> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { ...MUSIC_AUDIO, ...(deviceId ? { deviceId: { exact: deviceId } } : {}) },
  });
  const label = stream.getAudioTracks()[0]?.label;
  return streamSource(ctx, stream, 'mic', label ? `Live: ${label}` : 'Live input');
}

/**
 * A click track: a sharp click every `periodSec`, sample-exact (a looped buffer). Used to check sync
 * by ear (every device clicks at once) and by the tests and the benchmark, which detect the clicks
 * at every listener's output.
 */
export function clickTrack(ctx: AudioContext, periodSec = 0.5): Source {
  const length = Math.round(periodSec * ctx.sampleRate);
  const buffer = ctx.createBuffer(2, length, ctx.sampleRate);
  // 2 ms of a 3 kHz tone with an instant onset, decaying: easy to hear and to time to the sample.
  const clickLen = Math.round(0.002 * ctx.sampleRate);
  for (let ch = 0; ch < 2; ch++) {
    const data = buffer.getChannelData(ch);
    for (let i = 0; i < clickLen; i++) {
      data[i] = 0.9 * Math.cos((2 * Math.PI * 3000 * i) / ctx.sampleRate) * Math.exp(-i / (clickLen / 3));
    }
  }
  const node = ctx.createBufferSource();
  node.buffer = buffer;
  node.loop = true;
  node.start();
  let stopped = false;
  return {
    kind: 'test',
    node,
    title: 'Click track (sync test)',
    stop() {
      if (stopped) return;
      stopped = true;
      node.stop();
      node.disconnect();
    },
  };
}
