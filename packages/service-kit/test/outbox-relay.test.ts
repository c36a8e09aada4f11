import { trace } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { currentCorrelation } from '../src/correlation.js';
import {
  type Correlation,
  type Database,
  enqueue,
  inSpan,
  OUTBOX_MIGRATIONS,
  type OutboxMessage,
  OutboxRelay,
  openDatabase,
  PermanentDeliveryError,
  refusedDelivery,
  runMigrations,
  runWithCorrelation,
} from '../src/index.js';
import { deliveryHeaders } from '../src/outbox.js';
import {
  forgetSpans,
  newTestDatabaseUrl,
  openTestDatabase,
  recordedSpans,
  signal,
  silentLogger,
  testDatabaseEngine,
} from '../src/testing.js';

const log = silentLogger();

/** A relay whose `kitchen` receiver is unreachable on the first attempt, retried at once. */
function relayFailingFirstAttempt(db: Database, observe: () => void): OutboxRelay {
  let attempts = 0;
  return new OutboxRelay({
    db,
    log,
    baseDelayMs: 0,
    maxDelayMs: 0,
    deliverers: {
      kitchen: async () => {
        observe();
        if (++attempts === 1) throw new Error('connect ECONNREFUSED');
      },
    },
  });
}

describe('OutboxRelay', () => {
  let db: Database;

  beforeEach(async () => {
    db = await openTestDatabase([OUTBOX_MIGRATIONS]);
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
    // Retried at once: a retry is due again as soon as it is scheduled.
    const relay = relayFailingFirstAttempt(db, () => {});
    const id = await db.transaction((tx) => enqueue(tx, { destination: 'kitchen', payload: {} }));

    await relay.deliverDueMessages();
    const afterFailure = await statusOf(id);
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
      // Retried at once: a retry is due again as soon as it is scheduled.
      baseDelayMs: 0,
      maxDelayMs: 0,
      deliverers: {
        kitchen: async () => {
          throw new Error('503');
        },
      },
    });
    const id = await db.transaction((tx) => enqueue(tx, { destination: 'kitchen', payload: {} }));

    await relay.deliverDueMessages();
    await relay.deliverDueMessages();

    expect(await statusOf(id)).toEqual({ status: 'dead', attempts: 2 });
  });

  it('keeps retrying when the receiver refuses our credential, and gives up on other refusals', async () => {
    const refusedCredential = refusedDelivery('kitchen', {
      status: 401,
      body: { title: 'Unauthenticated', detail: 'The internal credential is not valid' },
    });
    const refusedMessage = refusedDelivery('kitchen', {
      status: 400,
      body: { title: 'Invalid request', detail: 'Your request is not valid' },
    });

    expect(refusedCredential).not.toBeInstanceOf(PermanentDeliveryError);
    expect(refusedMessage).toBeInstanceOf(PermanentDeliveryError);
    expect(refusedMessage.message).toBe('kitchen answered 400: Your request is not valid');
  });

  it('lets a failure change nothing once another relay has taken the message over and delivered it', async () => {
    let failFirstAttempt: () => void = () => {};
    const started = signal();
    // A lease of 0 ms has run out as soon as it is taken.
    const stale = new OutboxRelay({
      db,
      log,
      leaseMs: 0,
      deliverers: {
        kitchen: () =>
          new Promise<void>((_, reject) => {
            failFirstAttempt = () =>
              reject(new PermanentDeliveryError('400 from a slow first try'));
            started.happen();
          }),
      },
    });
    const takeover = new OutboxRelay({ db, log, deliverers: { kitchen: async () => {} } });
    const id = await db.transaction((tx) => enqueue(tx, { destination: 'kitchen', payload: {} }));

    const firstAttempt = stale.deliverDueMessages();
    await started.happened;
    await takeover.deliverDueMessages();
    failFirstAttempt();
    await firstAttempt;

    expect(await statusOf(id)).toEqual({ status: 'delivered', attempts: 2 });
  });

  it('does not hand a claimed message to a second relay while the first holds its lease', async () => {
    let release: () => void = () => {};
    const started = signal();
    const deliveries: string[] = [];
    const slow = new OutboxRelay({
      db,
      log,
      deliverers: {
        kitchen: (m) =>
          new Promise<void>((resolve) => {
            deliveries.push(`slow:${m.id}`);
            release = resolve;
            started.happen();
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
    await started.happened;
    const claimedBySecond = await other.deliverDueMessages();
    release();
    await first;

    expect(claimedBySecond).toBe(0);
    expect(deliveries).toEqual([`slow:${id}`]);
  });

  it('lets stop() wait for the batch in flight to be delivered and marked', async () => {
    let release: () => void = () => {};
    let arrived: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const relay = new OutboxRelay({
      db,
      log,
      deliverers: {
        kitchen: () =>
          new Promise<void>((resolve) => {
            release = resolve;
            arrived();
          }),
      },
    });
    const id = await db.transaction((tx) => enqueue(tx, { destination: 'kitchen', payload: {} }));
    relay.start();
    await inFlight;

    const stopped = relay.stop();
    const beforeRelease = await statusOf(id);
    release();
    await stopped;

    expect(beforeRelease).toEqual({ status: 'pending', attempts: 1 });
    expect(await statusOf(id)).toEqual({ status: 'delivered', attempts: 1 });
  });

  it('tells every call a deliverer makes which message it delivers, the same on each attempt', async () => {
    const seen: Record<string, string>[] = [];
    const relay = relayFailingFirstAttempt(db, () => void seen.push(deliveryHeaders()));
    const id = await db.transaction((tx) => enqueue(tx, { destination: 'kitchen', payload: {} }));

    await relay.deliverDueMessages();
    await relay.deliverDueMessages();

    expect(seen).toEqual([{ 'x-message-id': id }, { 'x-message-id': id }]);
    expect(deliveryHeaders()).toEqual({});
  });
});

// One database for these: each test delivers everything it enqueues.
describe('OutboxRelay correlation', () => {
  let db: Database;

  beforeAll(async () => {
    db = await openTestDatabase([OUTBOX_MIGRATIONS]);
  });
  afterAll(() => db.close());

  it('delivers a message in the trace and under the request id of the request that enqueued it', async () => {
    const seen: { correlation?: Correlation; traceId?: string }[] = [];
    const relay = new OutboxRelay({
      db,
      log,
      deliverers: {
        kitchen: async () =>
          void seen.push({
            correlation: currentCorrelation(),
            traceId: trace.getActiveSpan()?.spanContext().traceId,
          }),
      },
    });
    const traceId = await inSpan('request', {}, async (span) => {
      await runWithCorrelation({ requestId: 'req-9' }, () =>
        db.transaction((tx) => enqueue(tx, { destination: 'kitchen', payload: {} })),
      );
      return span.spanContext().traceId;
    });
    forgetSpans();

    await relay.deliverDueMessages();

    expect(seen).toEqual([{ correlation: { requestId: 'req-9' }, traceId }]);
    const delivery = recordedSpans().find((span) => span.name === 'outbox deliver kitchen');
    expect(delivery?.spanContext().traceId).toBe(traceId);
    expect(delivery?.attributes).toMatchObject({
      'messaging.destination.name': 'kitchen',
      'cheesecake.outbox.attempt': 1,
    });
  });

  it('continues the trace from the row, so a relay started after the message was enqueued continues it too', async () => {
    const traceId = await inSpan('request', {}, async (span) => {
      await db.transaction((tx) => enqueue(tx, { destination: 'kitchen', payload: {} }));
      return span.spanContext().traceId;
    });
    const seen: (string | undefined)[] = [];
    const laterRelay = new OutboxRelay({
      db,
      log,
      deliverers: {
        kitchen: async () => void seen.push(trace.getActiveSpan()?.spanContext().traceId),
      },
    });

    await laterRelay.deliverDueMessages();

    expect(seen).toEqual([traceId]);
  });

  it('gives a message enqueued outside any request a trace and request id that every attempt shares', async () => {
    const seen: { requestId?: string; traceId?: string; spanId?: string }[] = [];
    const relay = relayFailingFirstAttempt(db, () => {
      const span = trace.getActiveSpan()?.spanContext();
      seen.push({
        requestId: currentCorrelation()?.requestId,
        traceId: span?.traceId,
        spanId: span?.spanId,
      });
    });
    await db.transaction((tx) =>
      enqueue(tx, { destination: 'kitchen', payload: {}, requestId: 'req-background' }),
    );

    await relay.deliverDueMessages();
    await relay.deliverDueMessages();

    expect(seen.map((attempt) => attempt.requestId)).toEqual(['req-background', 'req-background']);
    expect(seen[0]?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(seen[1]?.traceId).toBe(seen[0]?.traceId);
    expect(seen[1]?.spanId).not.toBe(seen[0]?.spanId);
  });
});

// PGlite runs one statement at a time; only a server shows two relays claiming at once.
describe.runIf(testDatabaseEngine() === 'postgres')('two OutboxRelays on one outbox', () => {
  const MESSAGES = 200;
  let replicas: Database[];

  beforeEach(async () => {
    const url = await newTestDatabaseUrl();
    replicas = [
      await openDatabase({ url, dataDir: '', log }),
      await openDatabase({ url, dataDir: '', log }),
    ];
    await runMigrations(replicas[0] as Database, [OUTBOX_MIGRATIONS], log);
  });
  afterEach(() => Promise.all(replicas.map((db) => db.close())));

  it('deliver every message exactly once between them while both claim at once', async () => {
    const [first, second] = replicas as [Database, Database];
    const ids = await first.transaction(async (tx) => {
      const enqueued: string[] = [];
      for (let n = 0; n < MESSAGES; n += 1) {
        enqueued.push(await enqueue(tx, { destination: 'kitchen', payload: { n } }));
      }
      return enqueued;
    });
    const deliveries: { relay: string; id: string }[] = [];
    const inFlight = new Set<string>();
    const deliveredTwiceAtOnce: string[] = [];
    // Each relay's deliveries wait until the other relay has started one, so both hold
    // claims at the same time however the two are scheduled.
    const started = { first: signal(), second: signal() };
    const relayOn = (db: Database, relay: 'first' | 'second') =>
      new OutboxRelay({
        db,
        log,
        deliverers: {
          kitchen: async (message) => {
            if (inFlight.has(message.id)) deliveredTwiceAtOnce.push(message.id);
            inFlight.add(message.id);
            started[relay].happen();
            await started[relay === 'first' ? 'second' : 'first'].happened;
            await new Promise((resolve) => setImmediate(resolve));
            deliveries.push({ relay, id: message.id });
            inFlight.delete(message.id);
          },
        },
      });
    const drain = async (relay: OutboxRelay) => {
      while ((await relay.deliverDueMessages()) > 0) {}
    };

    await Promise.all([drain(relayOn(first, 'first')), drain(relayOn(second, 'second'))]);

    const statuses = await first.query<{ status: string; count: number }>(
      'select status, count(*)::int as count from outbox group by status',
    );
    expect(deliveredTwiceAtOnce).toEqual([]);
    expect(deliveries.map((delivery) => delivery.id).sort()).toEqual([...ids].sort());
    expect(new Set(deliveries.map((delivery) => delivery.relay))).toEqual(
      new Set(['first', 'second']),
    );
    expect(statuses).toEqual([{ status: 'delivered', count: MESSAGES }]);
  });
});
