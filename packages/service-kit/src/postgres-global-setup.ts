import type { TestProject } from 'vitest/node';
import { startTestPostgres } from './test-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's PostgreSQL server: a user who may create databases, and their names' prefix. */
    testPostgres: { adminUrl: string; databasePrefix: string };
  }
}

/** Vitest global setup: one PostgreSQL server for the project's run, stopped after it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestPostgres();
  project.provide('testPostgres', {
    adminUrl: server.adminUrl,
    databasePrefix: server.databasePrefix,
  });
  return () => server.stop();
}
