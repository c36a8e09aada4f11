import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Logger } from './logger.js';

/** Something SQL can be run on: the database itself, or one open transaction. */
export interface Queryable {
  /** Runs one parameterized statement and returns its rows. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** A service's own PostgreSQL database, embedded (PGlite) or a server (pg). */
export interface Database extends Queryable {
  /** `pglite` for the embedded engine, `postgres` for a server. */
  readonly kind: 'pglite' | 'postgres';
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /** Closes every connection. */
  close(): Promise<void>;
}

/** Where a service's database lives. */
export interface DatabaseOptions {
  /** `postgres://…` for a server, `memory://` for a throwaway embedded one; unset for embedded on disk. */
  url?: string | undefined;
  /** The directory of the embedded database when `url` is unset. */
  dataDir: string;
  log: Logger;
}

/**
 * Opens a service's database: PostgreSQL through `pg` when `url` is `postgres://…`,
 * otherwise embedded PGlite, in memory for `memory://` or persisted under `dataDir`.
 * Both speak the same SQL dialect, so one set of migrations and queries serves both.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url?.startsWith('postgres')) {
    options.log.info({ database: redactUrl(options.url) }, 'using PostgreSQL server');
    return openPostgres(options.url);
  }
  if (options.url === 'memory://') {
    return openPglite(await PGlite.create());
  }
  mkdirSync(options.dataDir, { recursive: true });
  options.log.info({ dataDir: options.dataDir }, 'using embedded PostgreSQL (PGlite)');
  return openPglite(await PGlite.create(options.dataDir));
}

function openPglite(db: PGlite): Database {
  const wrap = (target: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    query: async <Row>(sql: string, params?: unknown[]) =>
      (await target.query<Row>(sql, params)).rows,
    exec: async (sql) => {
      await target.exec(sql);
    },
  });
  return {
    kind: 'pglite',
    ...wrap(db),
    // PGlite runs one transaction at a time and queues every other query behind it.
    transaction: (work) => db.transaction((tx) => work(wrap(tx))),
    ping: async () => {
      await db.query('select 1');
    },
    close: () => db.close(),
  };
}

function openPostgres(url: string): Database {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000 });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const wrap = (target: pg.Pool | pg.PoolClient): Queryable => ({
    query: async <Row>(sql: string, params?: unknown[]) =>
      (await target.query(sql, params)).rows as Row[],
    exec: async (sql) => {
      await target.query(sql);
    },
  });
  return {
    kind: 'postgres',
    ...wrap(pool),
    transaction: async (work) => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await work(wrap(client));
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    ping: async () => {
      await pool.query('select 1');
    },
    close: () => pool.end(),
  };
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
