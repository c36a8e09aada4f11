import { fileURLToPath } from 'node:url';
import type { TestProjectInlineConfiguration, ViteUserConfig } from 'vitest/config';
import type { Reporter, TestModule } from 'vitest/node';
import { postgresUnavailableReason } from './test-postgres.js';

// Always the built file: node loads it before vitest, without vitest's TypeScript transform.
const TEST_TELEMETRY = fileURLToPath(
  new URL(
    import.meta.url.endsWith('.ts') ? '../dist/test-telemetry.js' : './test-telemetry.js',
    import.meta.url,
  ),
);

/**
 * The arguments that start telemetry in each test worker before any test loads, as
 * `node --import` does for a service, with spans kept for `recordedSpans`.
 */
export const testTelemetryExecArgv = ['--import', TEST_TELEMETRY];

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
    if (process.env.CI === 'true') {
      throw new Error(
        `${packageName}: CI=true requires the PostgreSQL suites, and PostgreSQL is unavailable: ${unavailable}`,
      );
    }
    // Vitest evaluates a config more than once; the line is said once per process.
    const run = globalThis as { postgresSkipSaid?: boolean };
    if (!run.postgresSkipSaid)
      console.warn(`${packageName}: PostgreSQL suites skipped: ${unavailable}`);
    run.postgresSkipSaid = true;
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

/**
 * The vitest settings of a package whose tests touch a database: its suite on both engines
 * ({@link databaseProjects}), a count per engine at the end, and ceilings for a loaded machine.
 */
export function databaseSuite(packageName: string): NonNullable<ViteUserConfig['test']> {
  return {
    // Ceilings that only bound a hang: a loaded two-core machine may be slow, never wrong.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One module cache per worker, not per file: loading express, zod and PGlite again for
    // every file cost more than most files' tests. Every file starts its own servers and
    // databases, so none depends on another's state.
    isolate: false,
    execArgv: testTelemetryExecArgv,
    reporters: ['default', new EngineSummaryReporter()],
    projects: databaseProjects(packageName),
  };
}

/**
 * A vitest reporter that ends the run with one line per database engine, such as
 * `postgres: 120 passed, 0 failed, 3 skipped`, so a log shows that each engine's suites ran.
 */
export class EngineSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = new Map<string, { passed: number; failed: number; skipped: number }>();
    for (const testModule of testModules) {
      const engine = testModule.project.name;
      const count = counts.get(engine) ?? { passed: 0, failed: 0, skipped: 0 };
      counts.set(engine, count);
      for (const test of testModule.children.allTests()) {
        const { state } = test.result();
        if (state === 'passed' || state === 'failed' || state === 'skipped') count[state] += 1;
      }
    }
    for (const [engine, { passed, failed, skipped }] of [...counts].sort()) {
      console.log(`${engine}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
    }
  }
}
