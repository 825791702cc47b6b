import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstLine, formatRetrySummary } from '../support/retryReporter.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const REPORTER = path.join(ROOT, 'tests/support/retryReporter.ts');

/** Runs the real Playwright runner (no browser) on these specs, with `list` and the retry reporter. */
async function playwright(specs: string): Promise<{ code: number | null; out: string; file: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jamsesh-retries-'));
  // Its own summary file: never the one .ci/run repeats for the real run.
  const summaryFile = path.join(dir, 'retry-summary.txt');
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  writeFileSync(
    path.join(dir, 'playwright.config.ts'),
    `export default { testDir: '.', workers: 1, retries: 1, outputDir: 'results',
      reporter: [['list'], [${JSON.stringify(REPORTER)}]], projects: [{ name: 'alpha' }] };\n`,
  );
  writeFileSync(path.join(dir, 'some.spec.ts'), `import { expect, test } from '@playwright/test';\n${specs}`);
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/.bin/playwright'), 'test'], {
    cwd: dir,
    env: { ...process.env, FORCE_COLOR: '1', CI: '', RETRY_SUMMARY_FILE: summaryFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  return { code, out, file: readFileSync(summaryFile, 'utf8') };
}

describe('the retry summary at the end of an E2E run', () => {
  it('names each test that needed a retry, last, after the list reporter, with its first failure', async () => {
    const { code, out, file } = await playwright(`
test('passes at once', () => {});
test.describe('a group', () => {
  test('fails once, then passes', ({}, info) => {
    if (info.retry === 0) throw new Error('the first attempt fails\\nwith a second line');
  });
});
test('fails every time', () => {
  expect(1, 'one is two').toBe(2);
});
`);
    expect(code).toBe(1);
    // `list` still reports as it did (in colour: FORCE_COLOR), the flaky test and the failed one;
    // the block comes last, in plain text.
    expect(out).toContain('1 flaky');
    expect(out).toContain('1 failed');
    const block = [
      '2 tests needed a retry:',
      '  [alpha] some.spec.ts › a group › fails once, then passes: passed on attempt 2',
      '      first failure: Error: the first attempt fails',
      '  [alpha] some.spec.ts › fails every time: failed all 2 attempts',
      '      first failure: Error: one is two',
    ];
    expect(out.trimEnd().split('\n').slice(-5)).toEqual(block);
    // The same block for .ci/run to repeat at the very end of the log.
    expect(file).toBe(`${block.join('\n')}\n`);
  }, 60_000);

  it('says so when no test needed a retry', async () => {
    const { code, out, file } = await playwright(`test('passes at once', () => {});\n`);
    expect(code).toBe(0);
    expect(out.trimEnd().split('\n').at(-1)).toBe('No test needed a retry.');
    expect(file).toBe('No test needed a retry.\n');
  }, 60_000);

  it('shows the first line of an error, without terminal colours, at most 200 characters', () => {
    expect(firstLine('\u001b[31m\n  Error: boom\u001b[39m\n  at x.ts:1')).toBe('Error: boom');
    expect(firstLine(`${'x'.repeat(300)}\nmore`)).toBe(`${'x'.repeat(199)}…`);
    expect(firstLine(undefined)).toBe('(no error message)');
    expect(formatRetrySummary([])).toBe('No test needed a retry.');
    expect(
      formatRetrySummary([
        { project: 'sync', title: 't', attempts: 2, passed: true, firstError: 'Error: late\nstack' },
      ]),
    ).toBe('1 test needed a retry:\n  [sync] t: passed on attempt 2\n      first failure: Error: late');
  });
});
