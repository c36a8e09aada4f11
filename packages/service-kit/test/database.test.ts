import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, runMigrations } from '../src/index.js';
import { silentLogger } from '../src/testing.js';

const log = silentLogger();
const WIDGET_MIGRATIONS = fileURLToPath(new URL('./fixtures/migrations/widgets', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'cheesecake-db-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('openDatabase with PGlite on disk', () => {
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

  it('rolls back every statement of a failed transaction', async () => {
    const db = await openDatabase({ url: 'memory://', dataDir: '', log });
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
