import { defineConfig } from 'vitest/config';

/** `pnpm test:faults`: the scenarios that kill, slow down and flood the stack. */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: process.env.E2E_STACK === 'compose' ? 600_000 : 300_000,
  },
});
