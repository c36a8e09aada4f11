import { createHash } from 'node:crypto';
import { type ChargeRequest, type EndUser, Payment, PaymentList } from '@cheesecake/contracts';
import { type Database, newId, type Queryable } from '@cheesecake/service-kit';
import { expectProblem, forgetSpans, servedSpan } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { insertPaymentUnlessConflicting } from '../src/payments/payment-store.js';
import { chargeFingerprint } from '../src/payments/payments.js';
import {
  fromGateway,
  fromKitchenService,
  fromOrderService,
  paymentApp,
  usePaymentService,
} from './support.js';

const service = usePaymentService();

function chargeFor(overrides: Partial<ChargeRequest> = {}): ChargeRequest {
  return {
    orderId: newId('ord'),
    amountCents: 1250,
    currency: 'USD',
    paymentMethod: 'tok_visa',
    ...overrides,
  };
}

async function charge(body: unknown, idempotencyKey = newId('key'), target = service.app) {
  return request(target)
    .post('/payments')
    .use(fromOrderService())
    .set('idempotency-key', idempotencyKey)
    .send(body as object);
}

async function refund(paymentId: string, target = service.app) {
  return request(target).post(`/payments/${paymentId}/refund`).use(fromOrderService());
}

const KAI: EndUser = { id: 'usr_kai', role: 'kitchen' };

/** Fails if a refusal carries any part of the payment, or mentions it. */
function expectNothingOf(payment: Payment, res: { text: string; body: object }) {
  for (const field of ['items', 'id', 'orderId', 'amountCents']) {
    expect(res.body).not.toHaveProperty(field);
  }
  expect(res.text).not.toContain(payment.id);
  expect(res.text).not.toContain(payment.status);
}

async function storedPayments(orderId: string, db = service.db) {
  return db.query<{ id: string; status: string; idempotency_key: string }>(
    'select id, status, idempotency_key from payments where order_id = $1 order by created_at, id',
    [orderId],
  );
}

/**
 * The database, except that `competing` runs in the charge's transaction right before its
 * first payment insert: as if another replica's charge had committed between the checks
 * and the insert. PGlite runs one transaction at a time, so this is how a test reaches
 * that moment.
 */
function withChargeCommittedBeforeInsert(
  database: Database,
  competing: (tx: Queryable) => Promise<unknown>,
): Database {
  let competed = false;
  return {
    kind: database.kind,
    query: <Row>(sql: string, params?: unknown[]) => database.query<Row>(sql, params),
    exec: (sql) => database.exec(sql),
    ping: () => database.ping(),
    close: () => database.close(),
    listen: (channel, onNotification, onReconnect) =>
      database.listen(channel, onNotification, onReconnect),
    transaction: (work) =>
      database.transaction((tx) =>
        work({
          exec: (sql) => tx.exec(sql),
          query: async <Row>(sql: string, params?: unknown[]) => {
            if (!competed && sql.trimStart().startsWith('insert into payments')) {
              competed = true;
              await competing(tx);
            }
            return tx.query<Row>(sql, params);
          },
        }),
      ),
  };
}

describe('POST /payments', () => {
  it('returns 201 with a captured payment for tok_visa and stores it', async () => {
    const body = chargeFor({ paymentMethod: 'tok_visa', amountCents: 4200 });

    const res = await charge(body);

    expect(res.status).toBe(201);
    const payment = Payment.parse(res.body);
    expect(payment).toMatchObject({
      orderId: body.orderId,
      amountCents: 4200,
      currency: 'USD',
      status: 'CAPTURED',
      declineCode: null,
      refundedAt: null,
    });
    expect(payment.id).toMatch(/^pay_/);
    expect(res.headers.location).toBe(`/payments/${payment.id}`);
    expect(await storedPayments(body.orderId)).toMatchObject([
      { id: payment.id, status: 'CAPTURED' },
    ]);
  });

  it("records the charge on the request's span: its order, payment and outcome", async () => {
    const body = chargeFor({ paymentMethod: 'tok_chargeDeclined' });
    forgetSpans();

    const res = await charge(body);

    const payment = Payment.parse(res.body);
    expect(servedSpan('/payments')?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 201,
      'cheesecake.order.id': body.orderId,
      'cheesecake.payment.id': payment.id,
      'cheesecake.payment.status': 'DECLINED',
    });
  });

  it.each([
    ['tok_chargeDeclined', 'card_declined'],
    ['tok_insufficientFunds', 'insufficient_funds'],
  ] as const)(
    'returns 201 with a declined payment for %s and records the attempt',
    async (paymentMethod, declineCode) => {
      const body = chargeFor({ paymentMethod });

      const res = await charge(body);

      expect(res.status).toBe(201);
      const payment = Payment.parse(res.body);
      expect(payment).toMatchObject({ status: 'DECLINED', declineCode });
      expect(await storedPayments(body.orderId)).toMatchObject([
        { id: payment.id, status: 'DECLINED' },
      ]);
    },
  );

  it('returns 200 with the same payment when the same key comes again with the same body, and stores one', async () => {
    const body = chargeFor();
    const key = newId('key');

    const first = await charge(body, key);
    const again = await charge(body, key);

    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(Payment.parse(again.body)).toEqual(Payment.parse(first.body));
    expect(await storedPayments(body.orderId)).toHaveLength(1);
  });

  it('returns 200 with the same decline when a declined charge is retried with its key', async () => {
    const body = chargeFor({ paymentMethod: 'tok_chargeDeclined' });
    const key = newId('key');
    const first = await charge(body, key);

    const again = await charge(body, key);

    expect(again.status).toBe(200);
    expect(Payment.parse(again.body)).toMatchObject({ id: first.body.id, status: 'DECLINED' });
    expect(await storedPayments(body.orderId)).toHaveLength(1);
  });

  it('returns 422 when the same key comes with another body, and stores nothing for it', async () => {
    const first = chargeFor();
    const other = chargeFor();
    const key = newId('key');
    await charge(first, key);

    const res = await charge(other, key);

    expectProblem(res, 422, 'idempotency-key-reused');
    expect(await storedPayments(other.orderId)).toEqual([]);
    expect(await storedPayments(first.orderId)).toHaveLength(1);
  });

  it('says which key was used for a different charge when refusing it', async () => {
    const key = newId('key');
    await charge(chargeFor(), key);

    const res = await charge(chargeFor(), key);

    const problem = expectProblem(res, 422, 'idempotency-key-reused');
    expect(problem.detail).toBe(`Idempotency key ${key} was already used for a different charge`);
  });

  it('fingerprints a charge as the payments already stored were, whatever the key order', () => {
    const body = chargeFor();
    const stored = createHash('sha256')
      .update(JSON.stringify([body.orderId, body.amountCents, body.currency, body.paymentMethod]))
      .digest('hex');
    const reordered = {
      paymentMethod: body.paymentMethod,
      currency: body.currency,
      amountCents: body.amountCents,
      orderId: body.orderId,
    };

    expect(chargeFingerprint(body)).toBe(stored);
    expect(chargeFingerprint(reordered)).toBe(stored);
  });

  it('returns 201 with a capture when a declined order is charged again with a new key, and keeps both attempts', async () => {
    const declined = chargeFor({ paymentMethod: 'tok_insufficientFunds' });
    const declineRes = await charge(declined);

    const res = await charge({ ...declined, paymentMethod: 'tok_visa' });

    expect(res.status).toBe(201);
    const payment = Payment.parse(res.body);
    expect(payment).toMatchObject({ status: 'CAPTURED', declineCode: null });
    expect(await storedPayments(declined.orderId)).toMatchObject([
      { id: declineRes.body.id, status: 'DECLINED' },
      { id: payment.id, status: 'CAPTURED' },
    ]);
  });

  it('returns 200 with the first capture when the order is charged again with another key', async () => {
    const body = chargeFor();
    const first = await charge(body);

    const second = await charge(body);
    const declinedCard = await charge({ ...body, paymentMethod: 'tok_chargeDeclined' });

    expect(second.status).toBe(200);
    expect(Payment.parse(second.body)).toEqual(Payment.parse(first.body));
    expect(declinedCard.status).toBe(200);
    expect(Payment.parse(declinedCard.body).id).toBe(first.body.id);
    expect(await storedPayments(body.orderId)).toMatchObject([
      { id: first.body.id, status: 'CAPTURED' },
    ]);
  });

  it('returns 200 with the refunded payment when a refunded order is charged again', async () => {
    const body = chargeFor();
    const first = await charge(body);
    await refund(first.body.id);

    const res = await charge(body);

    expect(res.status).toBe(200);
    expect(Payment.parse(res.body)).toMatchObject({ id: first.body.id, status: 'REFUNDED' });
    expect(await storedPayments(body.orderId)).toHaveLength(1);
  });

  it('stores one payment when five identical charges arrive at once', async () => {
    const body = chargeFor();
    const key = newId('key');

    const responses = await Promise.all(Array.from({ length: 5 }, () => charge(body, key)));

    expect(responses.map((res) => res.status).sort()).toEqual([200, 200, 200, 200, 201]);
    const ids = new Set(responses.map((res) => Payment.parse(res.body).id));
    expect(ids.size).toBe(1);
    expect(await storedPayments(body.orderId)).toHaveLength(1);
  });

  it('captures an order once when charges with different keys arrive at once', async () => {
    const body = chargeFor();

    const responses = await Promise.all(Array.from({ length: 5 }, () => charge(body)));

    expect(responses.map((res) => res.status).sort()).toEqual([200, 200, 200, 200, 201]);
    const ids = new Set(responses.map((res) => Payment.parse(res.body).id));
    expect(ids.size).toBe(1);
    expect(await storedPayments(body.orderId)).toMatchObject([{ status: 'CAPTURED' }]);
  });

  it('answers 200 with the payment of an identical charge that committed between its check and its insert', async () => {
    const body = chargeFor();
    const key = newId('key');
    const winnerId = newId('pay');
    const racing = paymentApp(
      withChargeCommittedBeforeInsert(service.db, (tx) =>
        insertPaymentUnlessConflicting(tx, {
          ...body,
          id: winnerId,
          idempotencyKey: key,
          requestFingerprint: chargeFingerprint(body),
          status: 'CAPTURED',
          declineCode: null,
        }),
      ),
    );

    const res = await charge(body, key, racing);

    expect(res.status).toBe(200);
    expect(Payment.parse(res.body).id).toBe(winnerId);
    expect(await storedPayments(body.orderId)).toMatchObject([{ id: winnerId }]);
  });

  it('answers 200 with the capture another key made between its check and its insert', async () => {
    const body = chargeFor();
    const winnerId = newId('pay');
    const racing = paymentApp(
      withChargeCommittedBeforeInsert(service.db, (tx) =>
        insertPaymentUnlessConflicting(tx, {
          ...body,
          id: winnerId,
          idempotencyKey: newId('key'),
          requestFingerprint: chargeFingerprint(body),
          status: 'CAPTURED',
          declineCode: null,
        }),
      ),
    );

    const res = await charge(body, newId('key'), racing);

    expect(res.status).toBe(200);
    expect(Payment.parse(res.body)).toMatchObject({ id: winnerId, status: 'CAPTURED' });
    expect(await storedPayments(body.orderId)).toMatchObject([{ id: winnerId }]);
  });

  it.each([
    [
      403,
      'when the gateway charges',
      'forbidden',
      fromGateway({ id: 'usr_alice', role: 'customer' }),
    ],
    [401, 'without an internal credential', 'unauthenticated', (req: request.Test) => req],
  ])('returns %i and stores nothing %s', async (status, _when, code, credential) => {
    const body = chargeFor();

    const res = await request(service.app)
      .post('/payments')
      .use(credential)
      .set('idempotency-key', newId('key'))
      .send(body);

    expectProblem(res, status, code);
    expect(await storedPayments(body.orderId)).toEqual([]);
  });

  it('returns 400 and stores nothing without an Idempotency-Key', async () => {
    const body = chargeFor();

    const res = await request(service.app).post('/payments').use(fromOrderService()).send(body);

    const problem = expectProblem(res, 400, 'validation');
    expect(problem.errors?.map((issue) => issue.path)).toEqual(['headers.idempotency-key']);
    expect(await storedPayments(body.orderId)).toEqual([]);
  });

  it('returns 400 listing every failed check and stores nothing for an invalid body', async () => {
    const orderId = newId('ord');

    const res = await charge({
      orderId,
      amountCents: 0,
      currency: 'usd',
      paymentMethod: 'tok_bogus',
      tip: 100,
    });

    const problem = expectProblem(res, 400, 'validation');
    expect(problem.errors?.map((issue) => issue.path).sort()).toEqual([
      'body',
      'body.amountCents',
      'body.currency',
      'body.paymentMethod',
    ]);
    expect(await storedPayments(orderId)).toEqual([]);
  });
});

describe('POST /payments/:paymentId/refund', () => {
  it('returns 200 with the payment refunded when it was captured', async () => {
    const captured = await charge(chargeFor());

    const res = await refund(captured.body.id);

    expect(res.status).toBe(200);
    const payment = Payment.parse(res.body);
    expect(payment).toMatchObject({ id: captured.body.id, status: 'REFUNDED' });
    expect(payment.refundedAt).not.toBeNull();
    expect(await storedPayments(payment.orderId)).toMatchObject([{ status: 'REFUNDED' }]);
  });

  it('returns 200 with the same refund when refunded twice, and keeps one refunded payment', async () => {
    const captured = await charge(chargeFor());

    const first = await refund(captured.body.id);
    const second = await refund(captured.body.id);

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(Payment.parse(second.body)).toEqual(Payment.parse(first.body));
    expect(await storedPayments(captured.body.orderId)).toMatchObject([
      { id: captured.body.id, status: 'REFUNDED' },
    ]);
  });

  it('returns 409 and leaves a declined payment declined', async () => {
    const declined = await charge(chargeFor({ paymentMethod: 'tok_chargeDeclined' }));

    const res = await refund(declined.body.id);

    expectProblem(res, 409, 'invalid-payment-state');
    expect(await storedPayments(declined.body.orderId)).toMatchObject([{ status: 'DECLINED' }]);
  });

  it('returns 404 for an unknown payment', async () => {
    const res = await refund(newId('pay'));

    expectProblem(res, 404, 'payment-not-found');
  });

  it('returns 403 and leaves the payment captured when the gateway asks', async () => {
    const captured = await charge(chargeFor());

    const res = await request(service.app)
      .post(`/payments/${captured.body.id}/refund`)
      .use(fromGateway({ id: 'usr_ada', role: 'admin' }));

    expectProblem(res, 403, 'forbidden');
    expect(await storedPayments(captured.body.orderId)).toMatchObject([{ status: 'CAPTURED' }]);
  });
});

describe('GET /payments/:paymentId', () => {
  it('returns 200 with the payment to the gateway, with or without a user', async () => {
    const captured = Payment.parse((await charge(chargeFor())).body);

    const withUser = await request(service.app)
      .get(`/payments/${captured.id}`)
      .use(fromGateway({ id: 'usr_alice', role: 'customer' }));
    const withoutUser = await request(service.app)
      .get(`/payments/${captured.id}`)
      .use(fromGateway());

    expect(withUser.status).toBe(200);
    expect(Payment.parse(withUser.body)).toEqual(captured);
    expect(withoutUser.status).toBe(200);
    expect(Payment.parse(withoutUser.body)).toEqual(captured);
  });

  it('returns 200 with the payment to the order service', async () => {
    const captured = Payment.parse((await charge(chargeFor())).body);

    const res = await request(service.app).get(`/payments/${captured.id}`).use(fromOrderService());

    expect(res.status).toBe(200);
    expect(Payment.parse(res.body)).toEqual(captured);
  });

  it.each([
    ['the kitchen service', () => fromKitchenService()],
    ['the kitchen service acting for kitchen staff', () => fromKitchenService(KAI)],
  ])(
    'returns 401 to %s, which does not call the payment service and has no business reading payments',
    async (_caller, authorization) => {
      const captured = Payment.parse((await charge(chargeFor())).body);

      const res = await request(service.app).get(`/payments/${captured.id}`).use(authorization());

      expectProblem(res, 401, 'unauthenticated');
      expectNothingOf(captured, res);
    },
  );

  it('returns 401, not 404, to the kitchen service for an unknown payment', async () => {
    const res = await request(service.app)
      .get(`/payments/${newId('pay')}`)
      .use(fromKitchenService());

    expectProblem(res, 401, 'unauthenticated');
  });

  it('returns 404 for an unknown payment', async () => {
    const res = await request(service.app)
      .get(`/payments/${newId('pay')}`)
      .use(fromGateway());

    expectProblem(res, 404, 'payment-not-found');
  });

  it('returns 401 without an internal credential', async () => {
    const captured = await charge(chargeFor());

    const res = await request(service.app).get(`/payments/${captured.body.id}`);

    expectProblem(res, 401, 'unauthenticated');
  });
});

describe('GET /payments', () => {
  it('returns every payment of an order, oldest first, and none of another order', async () => {
    const body = chargeFor({ paymentMethod: 'tok_chargeDeclined' });
    const declined = await charge(body);
    const captured = await charge({ ...body, paymentMethod: 'tok_visa' });
    await charge(chargeFor());

    const res = await request(service.app)
      .get('/payments')
      .query({ orderId: body.orderId })
      .use(fromGateway());

    expect(res.status).toBe(200);
    const list = PaymentList.parse(res.body);
    expect(list.items.map((payment) => [payment.id, payment.status])).toEqual([
      [declined.body.id, 'DECLINED'],
      [captured.body.id, 'CAPTURED'],
    ]);
  });

  it('returns an empty list for an order without payments', async () => {
    const res = await request(service.app)
      .get('/payments')
      .query({ orderId: newId('ord') })
      .use(fromOrderService());

    expect(res.status).toBe(200);
    expect(PaymentList.parse(res.body)).toEqual({ items: [] });
  });

  it('returns the payments of an order to the order service acting for its customer', async () => {
    const captured = Payment.parse((await charge(chargeFor())).body);

    const res = await request(service.app)
      .get('/payments')
      .query({ orderId: captured.orderId })
      .use(fromOrderService({ id: 'usr_alice', role: 'customer' }));

    expect(res.status).toBe(200);
    expect(PaymentList.parse(res.body)).toEqual({ items: [captured] });
  });

  it.each([
    ['the kitchen service', () => fromKitchenService()],
    ['the kitchen service acting for kitchen staff', () => fromKitchenService(KAI)],
  ])(
    'returns 401 to %s, which does not call the payment service and has no business reading payments',
    async (_caller, authorization) => {
      const captured = Payment.parse((await charge(chargeFor())).body);

      const res = await request(service.app)
        .get('/payments')
        .query({ orderId: captured.orderId })
        .use(authorization());

      expectProblem(res, 401, 'unauthenticated');
      expectNothingOf(captured, res);
    },
  );

  it('returns 400 without an orderId', async () => {
    const res = await request(service.app).get('/payments').use(fromGateway());

    const problem = expectProblem(res, 400, 'validation');
    expect(problem.errors?.map((issue) => issue.path)).toEqual(['query.orderId']);
  });
});

describe('GET /metrics', () => {
  it('counts each captured, declined and refunded payment once, however often it is replayed', async () => {
    const counted = paymentApp(service.db);
    const captureKey = newId('key');
    const capture = chargeFor();
    const captured = await charge(capture, captureKey, counted);
    await charge(capture, captureKey, counted);
    await charge(chargeFor({ paymentMethod: 'tok_chargeDeclined' }), newId('key'), counted);
    await refund(captured.body.id, counted);
    await refund(captured.body.id, counted);

    const res = await request(counted).get('/metrics');

    expect(res.status).toBe(200);
    expect(res.text).toContain('payment_outcomes_total{outcome="captured"} 1\n');
    expect(res.text).toContain('payment_outcomes_total{outcome="declined"} 1\n');
    expect(res.text).toContain('payment_outcomes_total{outcome="refunded"} 1\n');
  });
});

describe('PUT /ops/faults', () => {
  // Fault settings live in the database, so this service gets one of its own.
  const faulty = usePaymentService();

  it('makes every charge fail with 503 at a failure rate of 1, storing nothing, until switched off', async () => {
    const admin = fromGateway({ id: 'usr_ada', role: 'admin' });
    const body = chargeFor();
    await request(faulty.app).put('/ops/faults').use(admin).send({ failureRate: 1, latencyMs: 0 });

    const failed = await charge(body, newId('key'), faulty.app);
    const storedWhileFaulty = await storedPayments(body.orderId, faulty.db);
    await request(faulty.app).put('/ops/faults').use(admin).send({ failureRate: 0, latencyMs: 0 });
    const charged = await charge(body, newId('key'), faulty.app);

    expectProblem(failed, 503, 'service-unavailable');
    expect(storedWhileFaulty).toEqual([]);
    expect(charged.status).toBe(201);
  });
});
