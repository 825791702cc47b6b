import { appendFileSync } from 'node:fs';
import type { FullResult, Reporter, TestCase, TestResult } from '@playwright/test/reporter';

/** A test that ran more than once, as the summary names it. */
export interface RetriedTest {
  /** The Playwright project (or 'vitest'). */
  project: string;
  /** File and title path, e.g. "sync.spec.ts › synchronized audio › every device plays...". */
  title: string;
  attempts: number;
  /** Whether its last attempt passed (a "flaky" test) or every attempt failed. */
  passed: boolean;
  /** The error of its first failed attempt, whole; the summary shows its first line. */
  firstError: string | undefined;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape starts terminal colours
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** The first non-blank line of an error message, without terminal colours, at most 200 characters. */
export function firstLine(message: string | undefined): string {
  const line = (message ?? '')
    .replace(ANSI, '')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '');
  if (line === undefined) return '(no error message)';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/**
 * The block printed at the end of a run: how many tests needed a retry and which, so a test that
 * passes only on its second try stays visible instead of hiding in a green run.
 */
export function formatRetrySummary(retried: readonly RetriedTest[]): string {
  if (retried.length === 0) return 'No test needed a retry.';
  const lines = [`${retried.length} ${retried.length === 1 ? 'test' : 'tests'} needed a retry:`];
  for (const t of retried) {
    const outcome = t.passed ? `passed on attempt ${t.attempts}` : `failed all ${t.attempts} attempts`;
    lines.push(`  [${t.project}] ${t.title}: ${outcome}`);
    lines.push(`      first failure: ${firstLine(t.firstError)}`);
  }
  return lines.join('\n');
}

/** Prints the block, and adds it to $RETRY_SUMMARY_FILE if set (.ci/run repeats it as its last lines). */
export function printRetrySummary(retried: readonly RetriedTest[]): void {
  const block = formatRetrySummary(retried);
  process.stdout.write(`\n${block}\n`);
  const file = process.env.RETRY_SUMMARY_FILE;
  if (file) appendFileSync(file, `${block}\n`);
}

/** What one Playwright test's attempts come to, or null if it ran once. */
export function retriedTest(
  project: string,
  title: string,
  results: readonly TestResult[],
): RetriedTest | null {
  if (results.length < 2) return null;
  const failed = results.find((r) => r.status !== 'passed' && r.status !== 'skipped');
  return {
    project,
    title,
    attempts: results.length,
    passed: results.at(-1)?.status === 'passed',
    firstError: failed?.error?.message ?? failed?.errors[0]?.message ?? failed?.status,
  };
}

/**
 * Playwright reporter, next to `list`: at the end, one block naming every test that needed a
 * retry (project, title, the first line of its first failure), or saying that none did.
 */
export default class RetryReporter implements Reporter {
  readonly #tests = new Set<TestCase>();

  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.retry > 0) this.#tests.add(test);
  }

  onEnd(_result: FullResult): void {
    const retried = [...this.#tests].flatMap((test) => {
      // titlePath(): root, project, file, then the describe blocks and the test's own title.
      const title = test.titlePath().slice(2).join(' › ');
      const entry = retriedTest(test.parent.project()?.name ?? '', title, test.results);
      return entry ? [entry] : [];
    });
    printRetrySummary(retried);
  }

  printsToStdio(): boolean {
    return true;
  }
}
