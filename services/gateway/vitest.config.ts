import { testTelemetryExecArgv } from '@cheesecake/service-kit/vitest';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Ceilings that only bound a hang: a loaded two-core machine may be slow, never wrong.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One module cache per worker, not per file: loading express, zod and PGlite again for
    // every file cost more than most files' tests. Every file starts its own servers and
    // databases, so none depends on another's state.
    isolate: false,
    execArgv: testTelemetryExecArgv,
  },
});
