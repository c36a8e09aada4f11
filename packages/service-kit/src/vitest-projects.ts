import { fileURLToPath } from 'node:url';
import type { TestProjectInlineConfiguration } from 'vitest/config';
import { postgresUnavailableReason } from './test-postgres.js';

/** The database engines a suite runs on; tests read theirs from `TEST_DATABASE`. */
export type TestDatabaseEngine = 'pglite' | 'postgres';

const POSTGRES_GLOBAL_SETUP = fileURLToPath(
  new URL(
    import.meta.url.endsWith('.ts') ? './postgres-global-setup.ts' : './postgres-global-setup.js',
    import.meta.url,
  ),
);

/**
 * Vitest projects that run one suite twice: on embedded PGlite, and on a throwaway
 * PostgreSQL server (or `TEST_POSTGRES_URL`). Without a server the PostgreSQL project is
 * left out with one printed line, except under `CI=true`, where that fails the run.
 * `vitest --project pglite` runs one of them.
 */
export function databaseProjects(packageName: string): TestProjectInlineConfiguration[] {
  const pglite: TestProjectInlineConfiguration = {
    extends: true,
    test: { name: 'pglite', env: { TEST_DATABASE: 'pglite' } },
  };
  const unavailable = postgresUnavailableReason();
  if (unavailable) {
    const message = `${packageName}: PostgreSQL suites skipped: ${unavailable}`;
    if (process.env.CI === 'true') throw new Error(`${message}. CI requires them.`);
    console.warn(message);
    return [pglite];
  }
  return [
    pglite,
    {
      extends: true,
      test: {
        name: 'postgres',
        env: { TEST_DATABASE: 'postgres' },
        globalSetup: [POSTGRES_GLOBAL_SETUP],
      },
    },
  ];
}
