/**
 * Test build only (vite.config.ts adds this page to `vite build --mode test`): a host and a listener
 * in one page, as on two devices (each its own media worker and AudioContext), with the app's own
 * modules from the click track to the listener's output. Where a room links them with WebRTC data
 * channels, this page links the two workers with MessagePorts, which the workers take in place of
 * a data channel already (MediaWorker.handOver's relay), and records the frames on their way. So a
 * browser without WebRTC (Debian's WebKitGTK) runs the encoder, the clock sync, the decoder, the
 * schedule, the playout worklet and the output clock all the same.
 */
import {
  decodeAudioFrame,
  FRAME_SAMPLES,
  MEDIA_SAMPLE_RATE,
  OPUS_DELAY_MS,
} from '../../protocol/mediaWire.js';
import { startCapture } from '../media/HostEngine.js';
import { MediaWorker } from '../media/MediaWorker.js';
import { localNow, Player } from '../media/Player.js';
import { clickTrack } from '../media/Sources.js';
import { ClickDetector } from '../media/testClickDetector.js';
import { attachProbe } from '../media/testProbe.js';
import { FrameDecoder } from '../media/worker/FrameDecoder.js';
import type { FromWorker } from '../media/worker/messages.js';
import { webCodecsOpus } from '../media/worker/WebCodecsOpus.js';
import type { ContextReading, LoopbackLab, LoopbackReport, LoopbackWindow } from './loopbackApi.js';

const READ_EVERY_MS = 250;

let report: LoopbackReport | null = null;

async function start({ delayMs }: { delayMs: number }): Promise<void> {
  if (report) throw new Error('already started');
  const r: LoopbackReport = {
    userAgent: navigator.userAgent,
    startedAt: localNow(),
    at: 0,
    framesSent: 0,
    outOfOrder: 0,
    streams: 0,
    framesDecodedHere: 0,
    expectedClicks: [],
    clicks: [],
    sourceClicks: [],
    listener: null,
    host: null,
    playout: null,
    outputClock: { ready: false, readyAt: null, source: '', steps: 0, scatterMs: 0, renderLeadMs: 0 },
    readings: [],
    hostReadings: [],
  };
  report = r;

  // The host's device: click track -> capture -> its media worker (stamps, encodes). Its own
  // playout is off: the listener is the one listened to.
  const hostPlayer = await Player.create();
  const host = new MediaWorker();
  const hostPlayout = hostPlayer.connect(host);
  host.post(
    {
      type: 'init',
      role: 'host',
      sampleRate: hostPlayer.ctx.sampleRate,
      playout: hostPlayout,
      decoder: 'webcodecs',
    },
    [hostPlayout],
  );
  host.post({ type: 'delay', delayMs, mode: 'live' });
  host.post({ type: 'local-playback', enabled: false });
  host.on('state', (m: FromWorker) => {
    if (m.type === 'host') r.host = { ...m.counters };
  });

  // The listener's device: its media worker (clock sync, decode, schedule) -> its playout worklet.
  const player = await Player.create();
  const listener = new MediaWorker();
  const playout = player.connect(listener);
  listener.post(
    { type: 'init', role: 'listener', sampleRate: player.ctx.sampleRate, playout, decoder: 'webcodecs' },
    [playout],
  );
  listener.post({ type: 'delay', delayMs, mode: 'live' });
  listener.on('state', (m: FromWorker) => {
    if (m.type === 'listener') r.listener = { ...m };
  });

  // The link: the clock channel straight from worker to worker, the audio one through the page.
  const clock = new MessageChannel();
  const hostEnd = new MessageChannel();
  const listenerEnd = new MessageChannel();
  host.post({ type: 'wire', peerId: 'listener', audio: hostEnd.port1, clock: clock.port1 }, [
    hostEnd.port1,
    clock.port1,
  ]);
  listener.post({ type: 'wire', peerId: 'host', audio: listenerEnd.port1, clock: clock.port2 }, [
    listenerEnd.port1,
    clock.port2,
  ]);
  const findClicks = clickFinder(delayMs, r);
  hostEnd.port2.onmessage = (e: MessageEvent<ArrayBuffer>) => {
    findClicks(e.data);
    listenerEnd.port2.postMessage(e.data, [e.data]);
  };
  // The listener's NACKs (none on a lossless port, but the way back is part of the link).
  listenerEnd.port2.onmessage = (e: MessageEvent<ArrayBuffer>) => hostEnd.port2.postMessage(e.data, [e.data]);

  // When the output clock becomes ready, to the player's own reading interval.
  const readiness = setInterval(() => {
    if (!player.outputClock.ready) return;
    r.outputClock.readyAt = localNow();
    clearInterval(readiness);
  }, 25);

  await attachProbe(player, player.gain, (t) => r.clicks.push(t));
  const source = clickTrack(hostPlayer.ctx, 0.5);
  source.node.connect(startCapture(hostPlayer, host));
  await attachProbe(hostPlayer, source.node, (t) => r.sourceClicks.push(t));

  const snapshot = () => {
    const c = player.outputClock;
    r.playout = player.stats ? { ...player.stats } : null;
    r.outputClock = {
      ...r.outputClock,
      ready: c.ready,
      source: player.outputSource,
      steps: c.steps,
      scatterMs: c.scatterMs,
      renderLeadMs: player.renderLeadMs(),
    };
  };
  snapshot();
  setInterval(() => {
    snapshot();
    r.readings.push(readContext(player.ctx));
    r.hostReadings.push(readContext(hostPlayer.ctx));
  }, READ_EVERY_MS);
}

/**
 * Where each click of the stream should leave the listener's output, from the frames themselves:
 * they are decoded here too, in order, and a click found at sample i of frame seq is the input
 * sample from the codec's delay earlier, stamped t + i / 48 kHz - OPUS_DELAY_MS, which the
 * schedule plays at that stamp plus the room delay (Schedule.push).
 */
function clickFinder(delayMs: number, r: LoopbackReport): (packet: ArrayBuffer) => void {
  const stamps = new Map<number, number>();
  const streams = new Set<number>();
  let lastSeq = -1;
  const detector = new ClickDetector(MEDIA_SAMPLE_RATE);
  const decoder = new FrameDecoder((frame) => {
    r.framesDecodedHere++;
    const ch = frame.channels[0] as Float32Array;
    detector.feed(ch, frame.seq * FRAME_SAMPLES, (n) => {
      const seq = Math.floor(n / FRAME_SAMPLES);
      const t = stamps.get(seq);
      if (t === undefined) return;
      const inFrameMs = ((n - seq * FRAME_SAMPLES) / MEDIA_SAMPLE_RATE) * 1000;
      r.expectedClicks.push(t + inFrameMs - OPUS_DELAY_MS + delayMs);
    });
  }, webCodecsOpus);
  return (packet) => {
    const parsed = decodeAudioFrame(packet.slice(0));
    if (!parsed.ok) return;
    const f = parsed.value;
    r.framesSent++;
    if (f.seq !== lastSeq + 1) r.outOfOrder++;
    lastSeq = f.seq;
    streams.add(f.streamId);
    r.streams = streams.size;
    stamps.set(f.seq, f.t);
    decoder.decode(f);
  };
}

function readContext(ctx: AudioContext): ContextReading {
  const ts = ctx.getOutputTimestamp();
  return {
    now: performance.now(),
    currentTime: ctx.currentTime,
    contextTime: ts.contextTime ?? null,
    performanceTime: ts.performanceTime ?? null,
    baseLatency: ctx.baseLatency,
    outputLatency: ctx.outputLatency,
  };
}

const lab: LoopbackLab = {
  start,
  report: () => {
    if (!report) throw new Error('not started');
    return { ...structuredClone(report), at: localNow() };
  },
};
(window as unknown as LoopbackWindow).__jamseshLoopback = lab;
