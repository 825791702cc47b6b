import type { RunResult } from './result.js';
import { median } from './stats.js';

/** Everything the report says about how the figures were made (printed with them). */
export const METHOD = [
  'How it is measured',
  '- All pages run in one headless Chromium on this machine (one context, hence one renderer process, per',
  '  peer) and share one clock: performance.timeOrigin + performance.now(), in ms.',
  "- Click probes: an AudioWorklet detects each click's onset (threshold 0.25, interpolated to a fraction",
  "  of a sample) at each device's audio destination; the page's output clock (a fit of",
  '  AudioContext.getOutputTimestamp() readings) turns the click frame into "when this sample leaves',
  '  the device". The WebRTC baseline pages use the same detector and the median of their own',
  '  getOutputTimestamp() readings over the last second.',
  '- Skew: per click heard by every listener, latest minus earliest listener. JamSesh clicks are grouped',
  '  by index as in tests/e2e/sync.spec.ts compareClicks (round((t - origin) / 500 ms)), the origin being',
  "  the mean phase of every device's clicks rather than the host's first one; baseline clicks by the",
  '  source click each one matched.',
  "- Latency: from when the click left the host's source node (a probe on it, before capture and",
  "  encoding: its frame through the host's output clock gives when it would leave the host's speaker;",
  "  minus the host's render lead (median of renderLeadMs() read at each source click) gives when the",
  "  audio thread produced it) to when it leaves each listener's output. Each listener click is matched",
  '  to the source click it copies. JamSesh: the one nearest to D earlier (D = the',
  '  room delay then: the design latency; clicks are 500 ms apart, so this only picks which click, the',
  '  figure itself is measured). The baseline plays clicks at irregular 350-650 ms intervals: the',
  "  latency that lines up most of a listener's first 12 clicks in the window starts it, then it is",
  '  followed click by click (unambiguous).',
  '- Join to sync: a listener joins while the click track plays; from its click on Join (page clock) to',
  '  its first click within 2 ms of every other listener, to the first of 10 consecutive such clicks,',
  '  and to when its own status (state.own.inSync) first said in sync (reported once a second). The',
  '  click figures can only be as fine as the clicks: one every 500 ms.',
  '- Glitches in the measured window, per listener: JamSesh playout underrun ms / conceal events / late',
  '  frames / hard resyncs (snapshot().playout deltas); baseline: inbound-rtp concealedSamples as a',
  '  share of totalSamplesReceived times the window, concealmentEvents, packetsLost.',
  "- Host CPU: the host page's renderer process, all threads, utime+stime from /proc/<pid>/stat over the",
  '  window (the pid is found by spinning the host page for 600 ms and seeing which renderer used it),',
  "  % of one core; and how busy the host page's main thread was (CDP Performance.getMetrics",
  '  TaskDuration: wall time inside tasks, so it also counts time the thread waited for a CPU).',
  '  The JamSesh host page also runs the app (room page, level meter); the baseline host page is the',
  "  app's idle start page plus the baseline script. Audio output and network sends run in other",
  '  Chromium processes and are not counted for either.',
  "- Upload: the host's RTCPeerConnection.getStats() per listener: transport bytesSent (SCTP/DTLS or",
  '  SRTP included, UDP/IP headers not) and payload (data-channel / outbound-rtp bytesSent), over the window.',
];

export function fmt(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  return x.toFixed(digits);
}

function ms(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  return Math.abs(x) < 10 ? x.toFixed(2) : x.toFixed(1);
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function range(xs: number[]): string {
  const ok = xs.filter(Number.isFinite);
  if (ok.length === 0) return '-';
  return `${fmt(median(ok))} [${fmt(Math.min(...ok))}-${fmt(Math.max(...ok))}]`;
}

function perListener(r: RunResult, pick: (g: RunResult['glitches'][number]) => number): string {
  const xs = r.glitches.map(pick);
  return `${sum(xs)} (${xs.join(', ')})`;
}

/** The results side by side, one column per run. */
export function table(results: RunResult[]): string {
  const rows: Array<[string, (r: RunResult) => string]> = [
    [
      'skew between listeners, median / p95 / max (ms)',
      (r) => `${ms(r.skew.median)} / ${ms(r.skew.p95)} / ${ms(r.skew.max)}`,
    ],
    ['  clicks compared (heard by every listener)', (r) => `${r.skew.n}`],
    ['  clicks heard per listener', (r) => r.clicksPerListener.join(', ')],
    [
      'listener vs host device, median / p95 (ms)',
      (r) => (r.hostDeviceSkew ? `${ms(r.hostDeviceSkew.median)} / ${ms(r.hostDeviceSkew.p95)}` : 'n/a'),
    ],
    [
      'host source -> listener output, median / p95 (ms)',
      (r) => `${fmt(r.latency.median)} / ${fmt(r.latency.p95)}`,
    ],
    ['  listener clicks matched to a source click', (r) => `${r.latency.n} of ${sum(r.clicksPerListener)}`],
    ['  per listener, median (ms)', (r) => r.latencyByListener.map((x) => fmt(x, 0)).join(', ')],
    [
      '  room delay D (design latency) + host render lead (ms)',
      (r) =>
        r.kind === 'jamsesh'
          ? `${fmt(r.delayMs, 0)} + ${fmt(r.hostRenderLeadMs)}`
          : `JBT ${r.delayMs ?? 'default'}`,
    ],
    ['join -> first click within 2 ms (ms)', (r) => (r.join ? fmt(r.join.firstWithin2Ms, 0) : 'n/a')],
    ['join -> stays within 2 ms, 10 clicks (ms)', (r) => (r.join ? fmt(r.join.staysWithin2Ms, 0) : 'n/a')],
    ['join -> own inSync flag (ms)', (r) => (r.join ? fmt(r.join.inSyncFlagMs, 0) : 'n/a')],
    [
      'concealed ms, all listeners (per listener)',
      (r) =>
        `${fmt(sum(r.glitches.map((g) => g.concealedMs)))} (${r.glitches.map((g) => fmt(g.concealedMs)).join(', ')})`,
    ],
    ['conceal events, all listeners (per listener)', (r) => perListener(r, (g) => g.concealEvents)],
    ['late frames (JamSesh) / lost packets (WebRTC)', (r) => perListener(r, (g) => g.lateFrames)],
    ['hard resyncs', (r) => (r.kind === 'jamsesh' ? `${sum(r.glitches.map((g) => g.hardResyncs))}` : 'n/a')],
    ['host CPU, renderer process (% of a core)', (r) => fmt(r.hostCpu.processPct)],
    ['host main thread busy (% of wall time)', (r) => fmt(r.hostCpu.mainThreadPct)],
    ['upload per listener, kbit/s: median [min-max]', (r) => range(r.uploadKbps)],
    ['  of which payload, kbit/s', (r) => range(r.payloadKbps)],
  ];
  const head = ['', ...results.map((r) => r.column)];
  const body = rows.map(([name, get]) => [name, ...results.map(get)]);
  const widths = head.map((_, i) => Math.max(...[head, ...body].map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ');
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
  return [line(head), rule, ...body.map(line)].join('\n');
}

/** "0.9 ms vs 14.2 ms (16x better)": lower is better for every figure compared here. */
export function versus(ours: number, theirs: number, unit: string, digits = 1): string {
  const a = `${fmt(ours, digits)} ${unit}`;
  const b = `${fmt(theirs, digits)} ${unit}`;
  if (!Number.isFinite(ours) || !Number.isFinite(theirs) || ours <= 0 || theirs <= 0) return `${a} vs ${b}`;
  const ratio = theirs / ours;
  const word = ratio >= 1 ? `${fmt(ratio, ratio < 10 ? 1 : 0)}x better` : `${fmt(1 / ratio, 1)}x worse`;
  return `${a} vs ${b} (${word})`;
}

export function comparisons(results: RunResult[]): string[] {
  const ours = results.filter((r) => r.kind === 'jamsesh');
  const theirs = results.filter((r) => r.kind === 'webrtc');
  const out: string[] = [];
  for (const o of ours) {
    for (const t of theirs) {
      out.push(`${o.label} vs ${t.label}:`);
      out.push(`  skew p95:        ${versus(o.skew.p95, t.skew.p95, 'ms', 2)}`);
      out.push(`  skew max:        ${versus(o.skew.max, t.skew.max, 'ms', 2)}`);
      out.push(`  skew median:     ${versus(o.skew.median, t.skew.median, 'ms', 2)}`);
      out.push(`  latency median:  ${versus(o.latency.median, t.latency.median, 'ms')}`);
      out.push(`  latency p95:     ${versus(o.latency.p95, t.latency.p95, 'ms')}`);
      out.push(
        `  host CPU:        ${versus(o.hostCpu.processPct ?? Number.NaN, t.hostCpu.processPct ?? Number.NaN, '%')}`,
      );
      out.push(
        `  upload/listener: ${versus(median(o.uploadKbps), median(t.uploadKbps), 'kbit/s', 0)} (160 kbit/s stereo Opus vs the browser's default VBR Opus)`,
      );
    }
  }
  return out;
}

const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

/** The targets, PASS or MISS per JamSesh run, from the measured figures only. */
export function targets(results: RunResult[]): string[] {
  const ours = results.filter((r) => r.kind === 'jamsesh');
  const out: string[] = [];
  out.push('skew p95 <= 1 ms:');
  for (const r of ours)
    out.push(`  ${r.label.padEnd(40)} ${ms(r.skew.p95).padStart(7)} ms  ${verdict(r.skew.p95 <= 1)}`);
  out.push('Live latency < 80 ms (host source -> listener output):');
  for (const r of ours.filter((x) => x.mode === 'live')) {
    out.push(
      `  ${r.label.padEnd(40)} median ${fmt(r.latency.median)} ms ${verdict(r.latency.median < 80)}, p95 ${fmt(r.latency.p95)} ms ${verdict(r.latency.p95 < 80)}`,
    );
  }
  out.push('join-to-sync < 2 s (join click -> first click within 2 ms of the other listeners):');
  for (const r of ours) {
    const j = r.join;
    const first = j?.firstWithin2Ms ?? null;
    out.push(
      `  ${r.label.padEnd(40)} ${fmt(first, 0).padStart(7)} ms  ${verdict(first !== null && first < 2000)}` +
        `   (stays within 2 ms from ${fmt(j?.staysWithin2Ms, 0)} ms; inSync flag at ${fmt(j?.inSyncFlagMs, 0)} ms)`,
    );
  }
  out.push('zero underruns after settling (every listener, measured window):');
  for (const r of ours) {
    const concealed = sum(r.glitches.map((g) => g.concealedMs));
    const events = sum(r.glitches.map((g) => g.concealEvents));
    const late = sum(r.glitches.map((g) => g.lateFrames));
    out.push(
      `  ${r.label.padEnd(40)} ${fmt(concealed)} ms in ${events} events, ${late} late frames  ${verdict(concealed === 0 && events === 0)}`,
    );
  }
  return out;
}
