import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Each file starts its own four-process stack; running them one at a time keeps a
    // two-core machine responsive.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
