import { defineConfig } from 'vitest/config';

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'tests/integration/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    // No test here is retried; if one ever is, the run ends by naming it (tests/support/retryReporter.ts).
    reporters: ['default', './tests/support/vitestRetryReporter.ts'],
  },
});
