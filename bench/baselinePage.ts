/**
 * The plain-WebRTC baseline, as it runs inside a page (handed to page.evaluate, so it must be
 * self-contained: no imports, nothing from this module's scope). The host page makes a click track
 * in Web Audio and sends it as an Opus audio track (AudioContext -> MediaStreamAudioDestinationNode
 * -> addTrack), one peer connection per listener; a listener plays what it receives as typical apps
 * do, into Web Audio (the stream also attached to a muted <audio>: without it no samples reach Web
 * Audio in Chromium), with a click detector there. Signaling is done by the benchmark script.
 */

export interface BaselineOptions {
  role: 'host' | 'listener';
  /** Listener: receiver.jitterBufferTarget (ms), or null to leave the browser's default. */
  jitterBufferTargetMs: number | null;
  /** Host: seed of the click intervals. */
  seed: number;
}

export interface BaselineClick {
  /** When the sample leaves (or, at the host's source, would leave) this device's output, local ms. */
  outMs: number;
  /** How far ahead of the output the audio thread rendered at that moment (ms). */
  renderLeadMs: number;
}

export interface HostStats {
  id: string;
  transportBytesSent: number;
  /** RTP payload bytes (outbound-rtp bytesSent). */
  rtpBytesSent: number;
}

export interface ListenerStats {
  packetsReceived: number;
  packetsLost: number;
  totalSamplesReceived: number;
  concealedSamples: number;
  concealmentEvents: number;
  jitterBufferDelay: number;
  jitterBufferEmittedCount: number;
  jitterBufferTargetDelay: number;
  jitterBufferTarget: number | null;
}

export interface BaselinePageApi {
  now(): number;
  clicks(): BaselineClick[];
  /** Host: starts the click track. */
  start(): void;
  /** Host: a new peer connection for listener `id`; returns the offer (all candidates included). */
  offer(id: string): Promise<string>;
  accept(id: string, answerSdp: string): Promise<void>;
  hostStats(): Promise<HostStats[]>;
  /** Listener: answers the host's offer. */
  answer(offerSdp: string): Promise<string>;
  listenerStats(): Promise<ListenerStats | null>;
}

export async function installBaseline(opts: BaselineOptions): Promise<void> {
  // The app's probe worklet (src/client/media/worklets/probe.worklet.ts), same threshold and rules.
  const PROBE_SOURCE = `
    const THRESHOLD = 0.25;
    const REFRACTORY_SEC = 0.1;
    class BenchProbe extends AudioWorkletProcessor {
      last = 0;
      quietUntil = 0;
      process(inputs) {
        const ch = inputs[0] && inputs[0][0];
        if (!ch) return true;
        for (let i = 0; i < ch.length; i++) {
          const v = Math.abs(ch[i]);
          const frame = currentFrame + i;
          if (frame >= this.quietUntil && v >= THRESHOLD && this.last < THRESHOLD) {
            const frac = (THRESHOLD - this.last) / (v - this.last);
            this.port.postMessage({ frame: frame - 1 + frac });
            this.quietUntil = frame + REFRACTORY_SEC * sampleRate;
          }
          this.last = v;
        }
        return true;
      }
    }
    registerProcessor('bench-probe', BenchProbe);
  `;
  const ctx = new AudioContext({ sampleRate: 48_000, latencyHint: 'interactive' });
  const moduleUrl = URL.createObjectURL(new Blob([PROBE_SOURCE], { type: 'text/javascript' }));
  await ctx.audioWorklet.addModule(moduleUrl);
  if (ctx.state !== 'running') await ctx.resume().catch(() => {});
  const now = () => performance.timeOrigin + performance.now();

  // Output clock: the median over the last second of getOutputTimestamp() readings every 20 ms,
  // as (local ms - context ms). The method docs/sync.md found good to ~0.5 ms between pages.
  const offsets: number[] = [];
  setInterval(() => {
    const ts = ctx.getOutputTimestamp();
    if (ts.contextTime && ts.performanceTime) {
      offsets.push(performance.timeOrigin + ts.performanceTime - ts.contextTime * 1000);
      if (offsets.length > 50) offsets.shift();
    }
  }, 20);
  const localTimeOf = (contextSec: number) => {
    const s = [...offsets].sort((a, b) => a - b);
    return contextSec * 1000 + (s[s.length >> 1] ?? Number.NaN);
  };

  const clicks: BaselineClick[] = [];
  const probe = new AudioWorkletNode(ctx, 'bench-probe', { numberOfInputs: 1, numberOfOutputs: 0 });
  probe.port.onmessage = (e: MessageEvent<{ frame: number }>) => {
    if (offsets.length < 10) return;
    clicks.push({
      outMs: localTimeOf(e.data.frame / ctx.sampleRate),
      renderLeadMs: localTimeOf(ctx.currentTime) - now(),
    });
  };

  const gathered = (pc: RTCPeerConnection) =>
    new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      const timer = setTimeout(resolve, 5000);
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') {
          clearTimeout(timer);
          resolve();
        }
      });
    });

  const pcs = new Map<string, RTCPeerConnection>();
  let listenerPc: RTCPeerConnection | null = null;
  let receiver: RTCRtpReceiver | null = null;
  let start = () => {};
  let hostTrack: MediaStreamTrack | undefined;

  if (opts.role === 'host') {
    // The click of src/client/media/Sources.ts clickTrack(): 2 ms of 3 kHz, instant onset, decaying.
    const click = ctx.createBuffer(2, Math.round(0.002 * ctx.sampleRate), ctx.sampleRate);
    for (let ch = 0; ch < 2; ch++) {
      const data = click.getChannelData(ch);
      for (let i = 0; i < data.length; i++) {
        data[i] =
          0.9 * Math.cos((2 * Math.PI * 3000 * i) / ctx.sampleRate) * Math.exp(-i / (data.length / 3));
      }
    }
    const bus = ctx.createGain();
    const dest = ctx.createMediaStreamDestination();
    bus.connect(dest);
    bus.connect(probe);
    // Keep the graph pulled towards the speaker too (silently), as a page playing audio would.
    const mute = ctx.createGain();
    mute.gain.value = 0;
    bus.connect(mute);
    mute.connect(ctx.destination);
    // Irregular intervals (350-650 ms, mean 500 as the app's click track): only then can a click
    // heard hundreds of ms later be told apart from its neighbours.
    let seed = opts.seed >>> 0;
    const random = () => {
      seed = (seed + 0x6d2b79f5) >>> 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    let nextAt = 0;
    start = () => {
      if (nextAt > 0) return;
      nextAt = ctx.currentTime + 0.2;
      setInterval(() => {
        while (nextAt < ctx.currentTime + 1) {
          const node = ctx.createBufferSource();
          node.buffer = click;
          node.connect(bus);
          node.start(nextAt);
          nextAt += 0.35 + 0.3 * random();
        }
      }, 100);
    };
    hostTrack = dest.stream.getAudioTracks()[0];
  }

  const api: BaselinePageApi = {
    now,
    clicks: () => clicks.map((c) => ({ ...c })),
    start: () => start(),
    async offer(id) {
      const track = hostTrack;
      if (!track) throw new Error('no track');
      const pc = new RTCPeerConnection();
      pcs.set(id, pc);
      pc.addTrack(track, new MediaStream([track]));
      await pc.setLocalDescription();
      await gathered(pc);
      return pc.localDescription?.sdp ?? '';
    },
    async accept(id, sdp) {
      await pcs.get(id)?.setRemoteDescription({ type: 'answer', sdp });
    },
    async hostStats() {
      return Promise.all(
        [...pcs].map(async ([id, pc]) => {
          const out: HostStats = { id, transportBytesSent: 0, rtpBytesSent: 0 };
          (await pc.getStats()).forEach((s: { type: string; kind?: string; bytesSent?: number }) => {
            if (s.type === 'transport') out.transportBytesSent += s.bytesSent ?? 0;
            if (s.type === 'outbound-rtp' && s.kind === 'audio') out.rtpBytesSent += s.bytesSent ?? 0;
          });
          return out;
        }),
      );
    },
    async answer(offerSdp) {
      const pc = new RTCPeerConnection();
      listenerPc = pc;
      pc.ontrack = (e) => {
        const stream = e.streams[0] ?? new MediaStream([e.track]);
        const el = document.createElement('audio');
        el.muted = true;
        el.autoplay = true;
        el.srcObject = stream;
        document.body.appendChild(el);
        void el.play().catch(() => {});
        const source = ctx.createMediaStreamSource(stream);
        source.connect(probe);
        source.connect(ctx.destination);
        receiver = e.receiver;
        if (opts.jitterBufferTargetMs !== null) e.receiver.jitterBufferTarget = opts.jitterBufferTargetMs;
      };
      await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
      await pc.setLocalDescription();
      await gathered(pc);
      return pc.localDescription?.sdp ?? '';
    },
    async listenerStats() {
      if (!listenerPc) return null;
      let out: ListenerStats | null = null;
      (await listenerPc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type !== 'inbound-rtp' || s.kind !== 'audio') return;
        const n = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : 0);
        out = {
          packetsReceived: n('packetsReceived'),
          packetsLost: n('packetsLost'),
          totalSamplesReceived: n('totalSamplesReceived'),
          concealedSamples: n('concealedSamples'),
          concealmentEvents: n('concealmentEvents'),
          jitterBufferDelay: n('jitterBufferDelay'),
          jitterBufferEmittedCount: n('jitterBufferEmittedCount'),
          jitterBufferTargetDelay: n('jitterBufferTargetDelay'),
          jitterBufferTarget: receiver?.jitterBufferTarget ?? null,
        };
      });
      return out;
    },
  };
  (window as unknown as { __bench: BaselinePageApi }).__bench = api;
}
