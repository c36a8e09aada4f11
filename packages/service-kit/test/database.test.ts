import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase, runMigrations } from '../src/index.js';
import { newTestDatabaseUrl, silentLogger, testDatabaseEngine } from '../src/testing.js';

const log = silentLogger();
const WIDGET_MIGRATIONS = fileURLToPath(new URL('./fixtures/migrations/widgets', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'cheesecake-db-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const engine = testDatabaseEngine();
/** A URL of a new database of this project's engine. */
const newDatabaseUrl = async () => (engine === 'postgres' ? newTestDatabaseUrl() : 'memory://');

describe.runIf(engine === 'pglite')('openDatabase with PGlite on disk', () => {
  it('keeps data and applied migrations across a restart, and runs each migration once', async () => {
    const first = await openDatabase({ dataDir, log });
    await runMigrations(first, [WIDGET_MIGRATIONS], log);
    await first.query('insert into widgets (id, size) values ($1, $2)', ['w1', 3]);
    await first.close();

    const second = await openDatabase({ dataDir, log });
    await runMigrations(second, [WIDGET_MIGRATIONS], log);
    const widgets = await second.query<{ id: string }>('select id from widgets order by id');
    const applied = await second.query<{ name: string }>('select name from schema_migrations');
    await second.close();

    expect(widgets.map((row) => row.id)).toEqual(['seeded', 'w1']);
    expect(applied.map((row) => row.name)).toEqual(['widgets/0001-create-widgets.sql']);
  });
});

describe(`Database.transaction on ${engine}`, () => {
  it('rolls back every statement of a failed transaction', async () => {
    const db = await openDatabase({ url: await newDatabaseUrl(), dataDir: '', log });
    await runMigrations(db, [WIDGET_MIGRATIONS], log);

    await expect(
      db.transaction(async (tx) => {
        await tx.query('insert into widgets (id, size) values ($1, $2)', ['w2', 1]);
        await tx.query('insert into widgets (id, size) values ($1, $2)', ['w2', 1]);
      }),
    ).rejects.toThrow();
    const rows = await db.query('select id from widgets where id = $1', ['w2']);
    await db.close();

    expect(rows).toEqual([]);
  });
});

/** Listens on `channel` and keeps what it hears; `heard(payload)` resolves once that arrives. */
async function listenTo(db: Database, channel: string) {
  const payloads: string[] = [];
  const waiting = new Map<string, () => void>();
  const reconnects: Array<() => void> = [];
  let reconnected = 0;
  const unlisten = await db.listen(
    channel,
    (payload) => {
      payloads.push(payload);
      waiting.get(payload)?.();
    },
    () => {
      reconnected += 1;
      for (const resolve of reconnects.splice(0)) resolve();
    },
  );
  return {
    payloads,
    unlisten,
    heard: (payload: string) =>
      new Promise<void>((resolve) => {
        if (payloads.includes(payload)) resolve();
        else waiting.set(payload, resolve);
      }),
    reconnected: () =>
      new Promise<void>((resolve) => {
        if (reconnected > 0) resolve();
        else reconnects.push(resolve);
      }),
  };
}

const notify = (db: Pick<Database, 'query'>, channel: string, payload: string) =>
  db.query('select pg_notify($1, $2)', [channel, payload]);

describe(`Database.listen on ${engine}`, () => {
  it('hears a notification sent in a transaction once it commits, and none of a rolled-back one', async () => {
    const db = await openDatabase({ url: await newDatabaseUrl(), dataDir: '', log });
    const events = await listenTo(db, 'widget_events');
    let heardBeforeCommit = -1;

    await db.transaction(async (tx) => {
      await notify(tx, 'widget_events', 'committed');
      heardBeforeCommit = events.payloads.length;
    });
    await db
      .transaction(async (tx) => {
        await notify(tx, 'widget_events', 'rolled back');
        throw new Error('roll back');
      })
      .catch(() => {});
    await notify(db, 'widget_events', 'last');
    await events.heard('last');
    await db.close();

    expect(heardBeforeCommit).toBe(0);
    expect(events.payloads).toEqual(['committed', 'last']);
  });

  it('stops hearing a channel once unlistened, while another listener of it goes on', async () => {
    const db = await openDatabase({ url: await newDatabaseUrl(), dataDir: '', log });
    const stopping = await listenTo(db, 'widget_events');
    const staying = await listenTo(db, 'widget_events');
    await notify(db, 'widget_events', 'first');
    await staying.heard('first');

    await stopping.unlisten();
    await notify(db, 'widget_events', 'second');
    await staying.heard('second');
    await db.close();

    expect(stopping.payloads).toEqual(['first']);
    expect(staying.payloads).toEqual(['first', 'second']);
  });
});

// PostgreSQL on its own: notifications cross connections, and a server can drop one.
describe.runIf(engine === 'postgres')('Database.listen across connections', () => {
  it('hears what another connection pool on the database notifies, as a replica of the service would', async () => {
    const url = await newDatabaseUrl();
    const listening = await openDatabase({ url, dataDir: '', log });
    const notifying = await openDatabase({ url, dataDir: '', log });
    const events = await listenTo(listening, 'widget_events');

    await notifying.transaction((tx) => notify(tx, 'widget_events', 'from the other replica'));
    await events.heard('from the other replica');
    await Promise.all([listening.close(), notifying.close()]);

    expect(events.payloads).toEqual(['from the other replica']);
  });

  it('listens again after its connection is dropped, and says so', async () => {
    const db = await openDatabase({ url: await newDatabaseUrl(), dataDir: '', log });
    const events = await listenTo(db, 'widget_events');
    await notify(db, 'widget_events', 'before');
    await events.heard('before');

    await db.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
       where pid <> pg_backend_pid() and query ilike 'listen%'`,
    );
    await events.reconnected();
    await notify(db, 'widget_events', 'after');
    await events.heard('after');
    await db.close();

    expect(events.payloads).toEqual(['before', 'after']);
  });
});
