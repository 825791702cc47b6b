import { MEDIA_CHANNELS } from '../../../protocol/mediaWire.js';
import { OPUS_CONFIG, type OpusBackend, type OpusBackendEvents } from './OpusBackend.js';

/**
 * The browser's own Opus decoder (WebCodecs AudioDecoder). Configured without a description, so it
 * trims nothing: every 10 ms packet gives 480 samples, the codec's delay included, as on every
 * other device of the room (the host decodes its own stream the same way), so that delay cancels out.
 */
export function webCodecsOpus(events: OpusBackendEvents): OpusBackend {
  let closed = false;
  const decoder = new AudioDecoder({
    output: (audio) => {
      if (closed) {
        audio.close();
        return;
      }
      const length = audio.numberOfFrames;
      const channels: Float32Array[] = [];
      for (let ch = 0; ch < MEDIA_CHANNELS; ch++) {
        const plane = new Float32Array(length);
        audio.copyTo(plane, { planeIndex: Math.min(ch, audio.numberOfChannels - 1), format: 'f32-planar' });
        channels.push(plane);
      }
      const timestamp = audio.timestamp;
      audio.close();
      events.output({ timestamp, length, channels });
    },
    error: () => {
      if (!closed) events.error();
    },
  });
  decoder.configure(OPUS_CONFIG);
  return {
    decode(timestamp, data) {
      try {
        decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp, data }));
      } catch {
        if (!closed) events.error();
      }
    },
    get usable() {
      return !closed && decoder.state === 'configured';
    },
    close() {
      if (closed) return;
      closed = true;
      if (decoder.state !== 'closed') decoder.close();
    },
  };
}
