import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Database,
  enqueue,
  OUTBOX_MIGRATIONS,
  type OutboxMessage,
  OutboxRelay,
  openDatabase,
  PermanentDeliveryError,
  runMigrations,
} from '../src/index.js';
import { silentLogger } from '../src/testing.js';

const log = silentLogger();

describe('OutboxRelay', () => {
  let db: Database;

  beforeEach(async () => {
    db = await openDatabase({ url: 'memory://', dataDir: '', log });
    await runMigrations(db, [OUTBOX_MIGRATIONS], log);
  });
  afterEach(() => db.close());

  const statusOf = async (id: string) =>
    (
      await db.query<{ status: string; attempts: number }>(
        'select status, attempts from outbox where id = $1',
        [id],
      )
    )[0];

  it('delivers a committed message once and marks it delivered', async () => {
    const delivered: OutboxMessage[] = [];
    const relay = new OutboxRelay({
      db,
      log,
      deliverers: { kitchen: async (m) => void delivered.push(m) },
    });
    const id = await db.transaction((tx) =>
      enqueue(tx, { destination: 'kitchen', payload: { orderId: 'ord_1' }, requestId: 'req-1' }),
    );

    await relay.deliverDueMessages();
    await relay.deliverDueMessages();

    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      id,
      payload: { orderId: 'ord_1' },
      requestId: 'req-1',
      attempts: 1,
    });
    expect(await statusOf(id)).toEqual({ status: 'delivered', attempts: 1 });
  });

  it('keeps no message when the transaction that enqueued it rolls back', async () => {
    const relay = new OutboxRelay({ db, log, deliverers: { kitchen: async () => {} } });

    await expect(
      db.transaction(async (tx) => {
        await enqueue(tx, { destination: 'kitchen', payload: {} });
        throw new Error('order update failed');
      }),
    ).rejects.toThrow('order update failed');

    expect(await relay.deliverDueMessages()).toBe(0);
  });

  it('schedules a retry after a failed delivery and delivers when the receiver recovers', async () => {
    let failuresLeft = 1;
    const relay = new OutboxRelay({
      db,
      log,
      baseDelayMs: 1,
      maxDelayMs: 1,
      deliverers: {
        kitchen: async () => {
          if (failuresLeft-- > 0) throw new Error('connect ECONNREFUSED');
        },
      },
    });
    const id = await db.transaction((tx) => enqueue(tx, { destination: 'kitchen', payload: {} }));

    await relay.deliverDueMessages();
    const afterFailure = await statusOf(id);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await relay.deliverDueMessages();

    expect(afterFailure).toEqual({ status: 'pending', attempts: 1 });
    expect(await statusOf(id)).toEqual({ status: 'delivered', attempts: 2 });
  });

  it('sets a message aside as dead when the receiver rejects it for good', async () => {
    const relay = new OutboxRelay({
      db,
      log,
      deliverers: {
        kitchen: async () => {
          throw new PermanentDeliveryError('400 validation');
        },
      },
    });
    const id = await db.transaction((tx) => enqueue(tx, { destination: 'kitchen', payload: {} }));

    await relay.deliverDueMessages();

    expect(await statusOf(id)).toEqual({ status: 'dead', attempts: 1 });
  });

  it('sets a message aside as dead once it has used up its attempts', async () => {
    const relay = new OutboxRelay({
      db,
      log,
      maxAttempts: 2,
      baseDelayMs: 1,
      maxDelayMs: 1,
      deliverers: {
        kitchen: async () => {
          throw new Error('503');
        },
      },
    });
    const id = await db.transaction((tx) => enqueue(tx, { destination: 'kitchen', payload: {} }));

    await relay.deliverDueMessages();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await relay.deliverDueMessages();

    expect(await statusOf(id)).toEqual({ status: 'dead', attempts: 2 });
  });

  it('does not hand a claimed message to a second relay while the first holds its lease', async () => {
    let release: () => void = () => {};
    const deliveries: string[] = [];
    const slow = new OutboxRelay({
      db,
      log,
      deliverers: {
        kitchen: (m) =>
          new Promise<void>((resolve) => {
            deliveries.push(`slow:${m.id}`);
            release = resolve;
          }),
      },
    });
    const other = new OutboxRelay({
      db,
      log,
      deliverers: { kitchen: async (m) => void deliveries.push(`other:${m.id}`) },
    });
    const id = await db.transaction((tx) => enqueue(tx, { destination: 'kitchen', payload: {} }));

    const first = slow.deliverDueMessages();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const claimedBySecond = await other.deliverDueMessages();
    release();
    await first;

    expect(claimedBySecond).toBe(0);
    expect(deliveries).toEqual([`slow:${id}`]);
  });
});
