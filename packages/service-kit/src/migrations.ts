import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Umzug, type UmzugStorage } from 'umzug';
import type { Database, Queryable } from './database.js';
import type { Logger } from './logger.js';

/** The outbox table's migrations, to run before a service's own when it uses the outbox. */
export const OUTBOX_MIGRATIONS = fileURLToPath(new URL('../migrations/outbox', import.meta.url));

/** The fault settings' table, which every service that injects faults needs (`FaultInjection`). */
export const FAULT_MIGRATIONS = fileURLToPath(new URL('../migrations/faults', import.meta.url));

/** The migrations of a directory: its `*.sql` files by name (a folder in it is another set). */
export function migrationFiles(directory: string): string[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith('.sql'))
    .sort();
}

/**
 * Runs every `*.sql` file of the given directories that has not run yet, in order
 * (directory by directory, files by name), with umzug. All of it runs in one
 * transaction under an advisory lock, so replicas that start together migrate once.
 */
export async function runMigrations(
  db: Database,
  directories: string[],
  log: Logger,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock(hashtext($1))', ['cheesecake-migrations']);
    await tx.exec(
      'create table if not exists schema_migrations (name text primary key, applied_at timestamptz not null default now())',
    );
    const umzug = new Umzug<Queryable>({
      migrations: directories.flatMap((directory) =>
        migrationFiles(directory).map((file) => ({
          name: `${directory.split(/[\\/]/).pop()}/${file}`,
          up: async ({ context }: { context: Queryable }) =>
            context.exec(readFileSync(join(directory, file), 'utf8')),
        })),
      ),
      context: tx,
      storage: sqlStorage,
      logger: {
        info: (event) => log.info(event, 'migration'),
        warn: (event) => log.warn(event, 'migration'),
        error: (event) => log.error(event, 'migration'),
        debug: () => {},
      },
    });
    await umzug.up();
  });
}

const sqlStorage: UmzugStorage<Queryable> = {
  async executed({ context }) {
    const rows = await context.query<{ name: string }>(
      'select name from schema_migrations order by name',
    );
    return rows.map((row) => row.name);
  },
  async logMigration({ name, context }) {
    await context.query('insert into schema_migrations (name) values ($1)', [name]);
  },
  async unlogMigration({ name, context }) {
    await context.query('delete from schema_migrations where name = $1', [name]);
  },
};
