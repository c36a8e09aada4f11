import { databaseProjects, EngineSummaryReporter } from '@cheesecake/service-kit/vitest';
import { configDefaults, defineConfig } from 'vitest/config';

const onCompose = process.env.E2E_STACK === 'compose';

export default defineConfig({
  test: {
    // The fault scenarios take minutes; they run on their own with `pnpm test:faults`.
    exclude: [...configDefaults.exclude, 'test/faults/**'],
    // Each file starts its own four-process stack; running them one at a time keeps a
    // two-core machine responsive (`pnpm test` runs the unit suites beside this one).
    fileParallelism: false,
    // Containers restart more slowly than local processes: compose waits for healthchecks.
    testTimeout: onCompose ? 240_000 : 120_000,
    hookTimeout: onCompose ? 240_000 : 180_000,
    // On processes, the suite runs twice: every service on PGlite, then every service on a
    // PostgreSQL database of its own. The compose stack brings its own PostgreSQL.
    ...(!onCompose && {
      reporters: ['default', new EngineSummaryReporter()],
      projects: databaseProjects('@cheesecake/e2e'),
    }),
  },
});
