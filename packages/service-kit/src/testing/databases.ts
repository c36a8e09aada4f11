import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { inject } from 'vitest';
import { type Database, openDatabase, pgliteDatabase } from '../database.js';
import { migrationFiles, runMigrations } from '../migrations.js';
import type {} from '../postgres-global-setup.js';
import { createTestDatabase } from '../test-postgres.js';
import type { TestDatabaseEngine } from '../vitest-projects.js';
import { silentLogger } from './silent-logger.js';

/** The engine this run's database tests use: set per vitest project (see `databaseProjects`). */
export function testDatabaseEngine(): TestDatabaseEngine {
  return process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'pglite';
}

/**
 * The URL of a new, empty database on the run's PostgreSQL server (its name starts with
 * `name`), for tests that open it more than once (two replicas of a service) or hand it to
 * a process; only in the `postgres` project.
 */
export function newTestDatabaseUrl(name = 'test'): Promise<string> {
  if (testDatabaseEngine() !== 'postgres') {
    throw new Error('newTestDatabaseUrl needs the postgres project (TEST_DATABASE=postgres)');
  }
  return createTestDatabase(inject('testPostgres'), name);
}

/**
 * A throwaway database with the given migrations applied: in memory on PGlite, or a new
 * database on the run's PostgreSQL server in the `postgres` project.
 */
export async function openTestDatabase(migrationDirectories: string[]): Promise<Database> {
  const log = silentLogger();
  if (testDatabaseEngine() === 'postgres') {
    const db = await openDatabase({ url: await newTestDatabaseUrl(), dataDir: '', log });
    await runMigrations(db, migrationDirectories, log);
    return db;
  }
  const image = await migratedPgliteImage(migrationDirectories);
  return pgliteDatabase(await PGlite.create({ loadDataDir: image }));
}

/**
 * The data directory of a PGlite with these migrations applied, as an image that a new
 * PGlite starts from: that skips its initdb and the migrations, seconds per database.
 * Kept in the system's temporary directory under a hash of the migrations and the PGlite
 * version, so every test worker and run shares it, and a changed migration makes a new one.
 */
async function migratedPgliteImage(migrationDirectories: string[]): Promise<Blob> {
  const hash = createHash('sha256').update(pgliteVersion());
  for (const directory of migrationDirectories) {
    for (const file of migrationFiles(directory)) {
      hash.update(`${directory}\0${file}\0`).update(readFileSync(join(directory, file)));
    }
  }
  const path = join(tmpdir(), 'cheesecake-pglite-images', `${hash.digest('hex')}.tar`);
  if (existsSync(path)) return new Blob([readFileSync(path)]);

  const pglite = await PGlite.create();
  await runMigrations(pgliteDatabase(pglite), migrationDirectories, silentLogger());
  const image = await pglite.dumpDataDir('none');
  await pglite.close();
  // Written aside and renamed, so a worker never reads an image another is still writing.
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.${randomUUID()}`;
  writeFileSync(partial, Buffer.from(await image.arrayBuffer()));
  renameSync(partial, path);
  return image;
}

/** The installed PGlite's version, read from its package.json (which it does not export). */
function pgliteVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  while (dirname(dir) !== dir) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name, version } = JSON.parse(readFileSync(manifest, 'utf8'));
      if (name === '@electric-sql/pglite') return String(version);
    }
    dir = dirname(dir);
  }
  throw new Error('Cannot find the package.json of @electric-sql/pglite');
}
