import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * What the builds hold (`npm run build:test` makes both): the app people run (dist/client) has
 * none of the test hooks; the one the E2E tests and the benchmark serve (dist/client-test) has
 * them all, which shows that the markers below do find them.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PRODUCTION = path.join(ROOT, 'dist/client');
const TEST_BUILD = path.join(ROOT, 'dist/client-test');

/** Strings that only the test hooks' code carries, in what the browser loads. */
const MARKERS = {
  hooks: '__jamsesh',
  probeWorklet: 'jamsesh-probe',
  speakerDelay: 'simulateSpeakerDelay',
  outputSuspension: 'suspendOutput',
  decoderComparison: 'prepareDecodeTest',
} as const;
/** The test-only modules, as a source map names them. */
const TEST_MODULES = [
  'media/testHooks.ts',
  'media/testProbe.ts',
  'media/testSpeakerDelay.ts',
  'media/testDecoders.ts',
  'probe.worklet.ts',
];

interface Built {
  /** Path inside the build folder. */
  name: string;
  text: string;
}

function readBuild(dir: string): Built[] {
  if (!existsSync(path.join(dir, 'index.html'))) {
    throw new Error(`${path.relative(ROOT, dir)} is not built: run \`npm run build:test\` first`);
  }
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const file = path.join(e.parentPath, e.name);
      return { name: path.relative(dir, file), text: readFileSync(file, 'utf8') };
    });
}

/** The code the browser runs: everything but source maps, which quote the sources' comments. */
const code = (files: Built[]) => files.filter((f) => !f.name.endsWith('.map'));

/** Every source module any of the build's source maps was made from. */
function mappedSources(files: Built[]): string[] {
  return files
    .filter((f) => f.name.endsWith('.map'))
    .flatMap((f) => (JSON.parse(f.text) as { sources: string[] }).sources);
}

const holding = (files: Built[], marker: string) => code(files).filter((f) => f.text.includes(marker));

describe('the build people run (dist/client)', () => {
  const files = readBuild(PRODUCTION);

  it.each(Object.entries(MARKERS))('has no %s in any file the browser loads', (_what, marker) => {
    expect(code(files).length).toBeGreaterThan(3);
    expect(holding(files, marker).map((f) => f.name)).toEqual([]);
  });

  it('was made from no test-only module, and ships no probe worklet', () => {
    const sources = mappedSources(files);
    expect(sources.some((s) => s.endsWith('media/AudioSession.ts'))).toBe(true);
    expect(sources.filter((s) => TEST_MODULES.some((m) => s.endsWith(m)))).toEqual([]);
    expect(files.map((f) => f.name).filter((n) => n.includes('probe'))).toEqual([]);
  });

  it('keeps the WebAssembly Opus decoder in a chunk of its own, which the media worker only imports when it runs it', () => {
    // A name the decoder's glue code calls into its wasm by; no other chunk carries it.
    const withDecoder = holding(files, 'opus_frame_decoder_create').map((f) => f.name);
    expect(withDecoder).toHaveLength(1);
    const chunk = path.basename(withDecoder[0] as string);
    expect(chunk).toMatch(/^opus-decoder-.+\.js$/);
    const worker = code(files).find((f) => /^assets\/media\.worker-.+\.js$/.test(f.name));
    expect(worker?.text).toContain(`import(\`./${chunk}\`)`);
    expect(worker?.text).not.toMatch(new RegExp(`import[^(]*from\\s*["'\`]\\./${chunk}`));
  });
});

describe('the test build (dist/client-test)', () => {
  const files = readBuild(TEST_BUILD);

  it.each(Object.entries(MARKERS))('has %s', (_what, marker) => {
    expect(holding(files, marker).length).toBeGreaterThan(0);
  });

  it('is made from every test-only module and ships the probe worklet', () => {
    const sources = mappedSources(files);
    for (const m of TEST_MODULES) expect(sources.filter((s) => s.endsWith(m)).length, m).toBeGreaterThan(0);
    expect(files.some((f) => /^assets\/probe\.worklet-.+\.js$/.test(f.name))).toBe(true);
  });
});
