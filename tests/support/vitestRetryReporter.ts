import type { Reporter, TestModule } from 'vitest/node';
import { printRetrySummary, type RetriedTest } from './retryReporter.js';

/**
 * Vitest reporter, next to `default`: no unit or integration test is retried today, so it says
 * nothing; if one ever is (`{ retry: n }`), the run ends with the same block as the E2E run's.
 */
export default class VitestRetryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const retried: RetriedTest[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const retries = test.diagnostic()?.retryCount ?? 0;
        if (retries === 0) continue;
        const result = test.result();
        retried.push({
          project: test.project.name || 'vitest',
          title: `${module.relativeModuleId} › ${test.fullName}`,
          attempts: retries + 1,
          passed: result.state === 'passed',
          firstError: result.errors?.[0]?.message,
        });
      }
    }
    if (retried.length > 0) printRetrySummary(retried);
  }
}
