import type { TestProject } from 'vitest/node';
import { startTestPostgres } from './test-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `postgres://…` of a user who may create databases on the run's PostgreSQL server. */
    postgresAdminUrl: string;
  }
}

/** Vitest global setup: one PostgreSQL server for the project's run, stopped after it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestPostgres();
  project.provide('postgresAdminUrl', server.adminUrl);
  return () => server.stop();
}
