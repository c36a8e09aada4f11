import { type Database, openDatabase } from './database.js';
import { createLogger, type Logger } from './logger.js';
import { runMigrations } from './migrations.js';

/** What a service's config says about its logging and its database (`serviceEnvSchema`). */
export interface ServiceBasics {
  LOG_LEVEL: string;
  /** A PostgreSQL URL, `memory://`, or unset for PGlite in `DATA_DIR`. */
  DATABASE_URL?: string | undefined;
  DATA_DIR: string;
}

/**
 * The first steps of a service with a database: its logger, then its database opened and
 * brought up to date with `migrations` (migration folders, run in order). Then main.ts builds
 * the app and its workers and hands them to `runService`.
 */
export async function prepareService(
  service: string,
  config: ServiceBasics,
  migrations: string[],
): Promise<{ log: Logger; db: Database }> {
  const log = createLogger(service, config.LOG_LEVEL);
  const db = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, log });
  await runMigrations(db, migrations, log);
  return { log, db };
}
