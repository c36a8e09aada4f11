import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The fault scenarios take minutes; they run on their own with `pnpm test:faults`.
    exclude: [...configDefaults.exclude, 'test/faults/**'],
    // Each file starts its own four-process stack; running them one at a time keeps a
    // two-core machine responsive.
    fileParallelism: false,
    // Containers restart more slowly than local processes: compose waits for healthchecks.
    testTimeout: process.env.E2E_STACK === 'compose' ? 240_000 : 60_000,
    hookTimeout: process.env.E2E_STACK === 'compose' ? 240_000 : 60_000,
  },
});
