import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { SpanKind } from '@opentelemetry/api';
import pg from 'pg';
import type { Logger } from './logger.js';
import { inSpan, sqlOperation } from './tracing.js';

/** Something SQL can be run on: the database itself, or one open transaction. */
export interface Queryable {
  /** Runs one parameterized statement and returns its rows. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** How a store reads a row: with `lock`, the row stays locked (`for update`) until the transaction ends. */
export type ReadOptions = { lock?: boolean };

/** The clause that ends a read made with `options`: ` for update` when it locks, else nothing. */
export const lockClause = (options: ReadOptions): string => (options.lock ? ' for update' : '');

/** A service's own PostgreSQL database, embedded (PGlite) or a server (pg). */
export interface Database extends Queryable {
  /** `pglite` for the embedded engine, `postgres` for a server. */
  readonly kind: 'pglite' | 'postgres';
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotification` with the payload of every notification on `channel`
   * (`NOTIFY`, or `pg_notify` in a transaction, which delivers on commit). Notifications
   * sent while the connection that listens is down are lost: `onReconnect` is called once
   * it listens again, so that the listener can catch up from the table behind them.
   * Resolves, once listening, to the function that stops.
   */
  listen(
    channel: string,
    onNotification: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>>;
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
    return openPostgres(options.url, options.log);
  }
  if (options.url === 'memory://') {
    return pgliteDatabase(await PGlite.create());
  }
  mkdirSync(options.dataDir, { recursive: true });
  options.log.info({ dataDir: options.dataDir }, 'using embedded PostgreSQL (PGlite)');
  return pgliteDatabase(await PGlite.create(options.dataDir));
}

/** A {@link Database} on an open PGlite instance, embedded in this process. */
export function pgliteDatabase(db: PGlite): Database {
  const wrap = (target: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    query: <Row>(sql: string, params?: unknown[]) =>
      inQuerySpan(sql, async () => (await target.query<Row>(sql, params)).rows),
    exec: (sql) =>
      inQuerySpan(sql, async () => {
        await target.exec(sql);
      }),
  });
  return {
    kind: 'pglite',
    ...wrap(db),
    // PGlite runs one transaction at a time and queues every other query behind it.
    transaction: (work) => db.transaction((tx) => work(wrap(tx))),
    // The embedded engine lives in this process, so its notifications are never lost.
    listen: (channel, onNotification) => db.listen(channel, onNotification),
    ping: async () => {
      await db.query('select 1');
    },
    close: () => db.close(),
  };
}

// PGlite has no instrumentation: its queries get the spans the pg instrumentation makes for a
// server's, with the same names and attributes, so both engines read the same in a trace.
// Its one database is called postgres.
function inQuerySpan<T>(sql: string, run: () => Promise<T>): Promise<T> {
  return inSpan(
    `pg.query:${sqlOperation(sql)} postgres`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system.name': 'postgresql',
        'db.namespace': 'postgres',
        'db.query.text': sql,
      },
    },
    run,
  );
}

function openPostgres(url: string, log: Logger): Database {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000 });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const notifications = new PostgresNotifications(url, log);
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
    listen: (channel, onNotification, onReconnect) =>
      notifications.listen(channel, { onNotification, onReconnect }),
    ping: async () => {
      await pool.query('select 1');
    },
    close: async () => {
      await notifications.close();
      await pool.end();
    },
  };
}

interface Listener {
  onNotification: (payload: string) => void;
  onReconnect?: (() => void) | undefined;
}

const FIRST_RECONNECT_DELAY_MS = 250;
const MAX_RECONNECT_DELAY_MS = 10_000;

/**
 * Every LISTEN of one database on one dedicated connection, outside the pool: a pooled
 * client listens only while it is checked out, and the pool may close it when idle. When
 * the connection drops it is opened again with backoff, every channel is listened to
 * again, and each listener is told, since what was notified in between is lost.
 */
class PostgresNotifications {
  readonly #channels = new Map<string, Set<Listener>>();
  #client: pg.Client | undefined;
  #connecting: Promise<pg.Client> | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #closed = false;

  readonly #url: string;
  readonly #log: Logger;

  constructor(url: string, log: Logger) {
    this.#url = url;
    this.#log = log;
  }

  async listen(channel: string, listener: Listener): Promise<() => Promise<void>> {
    const listeners = this.#channels.get(channel) ?? new Set();
    this.#channels.set(channel, listeners);
    listeners.add(listener);
    try {
      const client = await this.#connected();
      await client.query(`listen ${client.escapeIdentifier(channel)}`);
    } catch (error) {
      await this.#forget(channel, listener);
      throw error;
    }
    return () => this.#forget(channel, listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    const client = this.#client ?? (await this.#connecting?.catch(() => undefined));
    this.#client = undefined;
    await client?.end().catch(() => {});
  }

  async #forget(channel: string, listener: Listener): Promise<void> {
    const listeners = this.#channels.get(channel);
    listeners?.delete(listener);
    if (listeners?.size !== 0) return;
    this.#channels.delete(channel);
    await this.#client?.query(`unlisten ${this.#client.escapeIdentifier(channel)}`).catch(() => {});
  }

  /** The listening connection, opened first if there is none. */
  #connected(): Promise<pg.Client> {
    if (this.#closed) return Promise.reject(new Error('The database is closed'));
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.#url, connectionTimeoutMillis: 5_000 });
    // Without a listener, an error on an idle connection would crash the process.
    client.on('error', (error) => this.#dropped(client, error));
    client.on('end', () => this.#dropped(client, new Error('the connection ended')));
    client.on('notification', ({ channel, payload }) => {
      for (const listener of this.#channels.get(channel) ?? []) {
        // Thrown here, an error would escape through the connection's socket handler.
        try {
          listener.onNotification(payload ?? '');
        } catch (error) {
          this.#log.error({ err: error, channel }, 'a notification listener failed');
        }
      }
    });
    try {
      await client.connect();
      for (const channel of this.#channels.keys()) {
        await client.query(`listen ${client.escapeIdentifier(channel)}`);
      }
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      throw new Error('The database is closed');
    }
    this.#client = client;
    return client;
  }

  #dropped(client: pg.Client, error: Error): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    client.end().catch(() => {});
    if (this.#closed) return;
    this.#log.warn(
      { err: error },
      'the connection listening for notifications dropped; reconnecting',
    );
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const delayMs = Math.min(
      FIRST_RECONNECT_DELAY_MS * 2 ** this.#failures,
      MAX_RECONNECT_DELAY_MS,
    );
    this.#reconnectTimer = setTimeout(() => {
      this.#connected().then(
        () => {
          this.#failures = 0;
          this.#log.info('listening for notifications again');
          for (const listeners of [...this.#channels.values()]) {
            for (const listener of [...listeners]) listener.onReconnect?.();
          }
        },
        (error: unknown) => {
          this.#failures += 1;
          this.#log.warn(
            { err: error, failures: this.#failures },
            'reconnecting the listener failed',
          );
          if (!this.#closed) this.#scheduleReconnect();
        },
      );
    }, delayMs);
    this.#reconnectTimer.unref();
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
