import {
  OutboxBacklog,
  OutboxDeadLetter,
  OutboxDeadLetterList,
  type Role,
} from '@cheesecake/contracts';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServiceApp, type Database, enqueue, OUTBOX_MIGRATIONS } from '../src/index.js';
import { expectProblem, internalCredential, openTestDatabase } from '../src/testing.js';
import { testAppBasics } from './support.js';

// One database for the file: each test works on messages of its own.
let db: Database;
let wakes: number;

beforeAll(async () => {
  db = await openTestDatabase([OUTBOX_MIGRATIONS]);
});
afterAll(() => db.close());
beforeEach(() => {
  wakes = 0;
});

function kitchenApp() {
  return createServiceApp({
    ...testAppBasics('kitchen'),
    readiness: async () => ({}),
    routes: [],
    outbox: { db, relay: { wake: () => void wakes++ } },
  });
}

const asGatewayFor = (role: Role) =>
  internalCredential({
    issuer: 'gateway',
    audience: 'kitchen',
    user: { id: `usr_${role}`, role },
  });

/** Enqueues a message and sets it aside as dead after `attempts`, as the relay would. */
async function givenDeadMessage(payload: unknown, attempts = 100): Promise<string> {
  const id = await db.transaction((tx) =>
    enqueue(tx, { destination: 'order.ticket-status', payload, requestId: 'req-dead' }),
  );
  await db.query(
    `update outbox set status = 'dead', attempts = $2, last_error = 'order answered 503' where id = $1`,
    [id, attempts],
  );
  return id;
}

const rowOf = async (id: string) =>
  (
    await db.query<{ status: string; attempts: number; due: boolean }>(
      'select status, attempts, next_attempt_at <= now() as due from outbox where id = $1',
      [id],
    )
  )[0];

describe('GET /ops/outbox', () => {
  it('counts the pending and dead messages, and how long the oldest pending one has waited', async () => {
    const before = OutboxBacklog.parse(
      (await request(kitchenApp()).get('/ops/outbox').use(asGatewayFor('admin'))).body,
    );
    await givenDeadMessage({ ticketId: 'tkt_backlog' });
    const pending = await db.transaction((tx) =>
      enqueue(tx, { destination: 'order.ticket-status', payload: {} }),
    );
    await db.query("update outbox set created_at = now() - interval '90 seconds' where id = $1", [
      pending,
    ]);

    const res = await request(kitchenApp()).get('/ops/outbox').use(asGatewayFor('admin'));

    expect(res.status).toBe(200);
    const backlog = OutboxBacklog.parse(res.body);
    expect(backlog.pending).toBe(before.pending + 1);
    expect(backlog.dead).toBe(before.dead + 1);
    expect(backlog.oldestPendingSeconds).toBeGreaterThanOrEqual(90);
  });

  it('returns 403 to the gateway acting for the kitchen staff', async () => {
    const res = await request(kitchenApp()).get('/ops/outbox').use(asGatewayFor('kitchen'));

    expectProblem(res, 403, 'forbidden');
  });
});

describe('GET /ops/dead-letters', () => {
  it('returns the dead messages oldest first, with public ids, and no other message', async () => {
    const first = await givenDeadMessage({ ticketId: 'tkt_1' });
    const pending = await db.transaction((tx) =>
      enqueue(tx, { destination: 'order.ticket-status', payload: {} }),
    );
    const second = await givenDeadMessage({ ticketId: 'tkt_2' }, 3);
    const mine = [first, pending, second];

    const res = await request(kitchenApp()).get('/ops/dead-letters').use(asGatewayFor('admin'));

    expect(res.status).toBe(200);
    const items = OutboxDeadLetterList.parse(res.body).items.filter((item) =>
      mine.includes(item.messageId),
    );
    expect(items.map((item) => item.messageId)).toEqual([first, second]);
    expect(items[1]).toMatchObject({
      messageId: second,
      destination: 'order.ticket-status',
      payload: { ticketId: 'tkt_2' },
      attempts: 3,
      lastError: 'order answered 503',
      requestId: 'req-dead',
    });
  });

  it('returns 403 to a kitchen user', async () => {
    const res = await request(kitchenApp()).get('/ops/dead-letters').use(asGatewayFor('kitchen'));

    expectProblem(res, 403, 'forbidden');
  });
});

describe('POST /ops/dead-letters/:messageId/retry', () => {
  it('puts the message back in the outbox, due now from its first attempt, and wakes the relay', async () => {
    const id = await givenDeadMessage({ ticketId: 'tkt_1' });

    const res = await request(kitchenApp())
      .post(`/ops/dead-letters/${id}/retry`)
      .use(asGatewayFor('admin'));

    expect(res.status).toBe(200);
    expect(OutboxDeadLetter.parse(res.body)).toMatchObject({ messageId: id, attempts: 0 });
    expect(await rowOf(id)).toEqual({ status: 'pending', attempts: 0, due: true });
    expect(wakes).toBe(1);
  });

  it('returns 409 for a message that is not dead, and changes nothing', async () => {
    const id = await givenDeadMessage({});
    const app = kitchenApp();
    const authorization = asGatewayFor('admin');
    await request(app).post(`/ops/dead-letters/${id}/retry`).use(authorization);

    const res = await request(app).post(`/ops/dead-letters/${id}/retry`).use(authorization);

    expectProblem(res, 409, 'outbox-message-not-dead');
    expect(await rowOf(id)).toEqual({ status: 'pending', attempts: 0, due: true });
    expect(wakes).toBe(1);
  });

  it('returns 404 for an unknown message', async () => {
    const res = await request(kitchenApp())
      .post('/ops/dead-letters/msg_unknown/retry')
      .use(asGatewayFor('admin'));

    expectProblem(res, 404, 'not-found');
  });

  it('returns 403 to a customer and leaves the message dead', async () => {
    const id = await givenDeadMessage({});

    const res = await request(kitchenApp())
      .post(`/ops/dead-letters/${id}/retry`)
      .use(asGatewayFor('customer'));

    expectProblem(res, 403, 'forbidden');
    expect((await rowOf(id))?.status).toBe('dead');
  });
});
