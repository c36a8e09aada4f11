import { randomUUID } from 'node:crypto';
import { Order, problemTypes } from '@cheesecake/contracts';
import { ProblemError } from '@cheesecake/service-kit';
import { expectProblem } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  asCustomer,
  asStaff,
  cancelOrder,
  createTestApp,
  deliverDueMessages,
  forceStatus,
  newCustomerId,
  outboxMessages,
  payOrder,
  placeOrder,
  startPaymentStub,
  storedOrder,
  unreachableUrl,
  useOrderService,
} from './support.js';

describe('POST /orders/:orderId/payment', () => {
  const service = useOrderService({ payment: true, kitchen: true });

  const chargesOf = (orderId: string) =>
    service.payment.charges.filter((c) => c.body.orderId === orderId);

  const payWithKey = async (customer: string, orderId: string, key: string) =>
    request(service.app)
      .post(`/orders/${orderId}/payment`)
      .use(asCustomer(customer))
      .set('idempotency-key', key)
      .send({ paymentMethod: 'tok_visa' });

  it('returns 200 with the order PAID and enqueues one ticket for the kitchen when the card is captured', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer, {
      items: [{ menuItemId: 'matcha-cheesecake', quantity: 2 }],
      notes: 'Happy birthday',
    });

    const res = await payOrder(service.app, customer, placed.id, 'tok_visa');

    expect(res.status).toBe(200);
    const paid = Order.parse(res.body);
    const [charge] = chargesOf(placed.id);
    expect(charge).toMatchObject({
      idempotencyKey: `${placed.id}:attempt-1:tok_visa`,
      body: { orderId: placed.id, amountCents: 1380, currency: 'USD', paymentMethod: 'tok_visa' },
      caller: { service: 'order', user: { id: customer, role: 'customer' } },
    });
    const captured = service.payment.payments.find((p) => p.orderId === placed.id);
    expect(paid).toMatchObject({ status: 'PAID', paymentId: captured?.id });
    expect(await storedOrder(service.db, placed.id)).toEqual(paid);
    expect(await outboxMessages(service.db, placed.id)).toEqual([
      {
        destination: 'kitchen.create-ticket',
        status: 'pending',
        request_id: expect.any(String),
        payload: {
          orderId: placed.id,
          orderNumber: placed.number,
          items: [{ menuItemId: 'matcha-cheesecake', name: 'Matcha Cheesecake', quantity: 2 }],
          notes: 'Happy birthday',
        },
      },
    ]);
  });

  it('delivers the ticket to the kitchen under the request id of the payment', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    await request(service.app)
      .post(`/orders/${placed.id}/payment`)
      .use(asCustomer(customer))
      .set('x-request-id', `pay-${placed.id}`)
      .send({ paymentMethod: 'tok_visa' });

    await deliverDueMessages(service.relay);

    const delivered = service.kitchen.tickets.filter((t) => t.body.orderId === placed.id);
    expect(delivered).toMatchObject([
      {
        body: { orderNumber: placed.number },
        requestId: `pay-${placed.id}`,
        caller: { service: 'order' },
      },
    ]);
    expect((await outboxMessages(service.db, placed.id)).map((m) => m.status)).toEqual([
      'delivered',
    ]);
  });

  it('returns 402 and keeps the order payable when the card is declined', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);

    const res = await payOrder(service.app, customer, placed.id, 'tok_chargeDeclined');

    const problem = expectProblem(res, 402, 'payment-declined');
    const declined = service.payment.payments.find((p) => p.orderId === placed.id);
    expect(problem).toMatchObject({ paymentId: declined?.id, declineCode: 'card_declined' });
    expect(await storedOrder(service.db, placed.id)).toMatchObject({
      status: 'PENDING_PAYMENT',
      paymentId: null,
    });
    expect(await outboxMessages(service.db, placed.id)).toEqual([]);
  });

  it('charges the next attempt under a new key after a decline, so the customer can pay with tok_visa', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    await payOrder(service.app, customer, placed.id, 'tok_insufficientFunds');
    await payOrder(service.app, customer, placed.id, 'tok_insufficientFunds');

    const res = await payOrder(service.app, customer, placed.id, 'tok_visa');

    expect(res.status).toBe(200);
    expect(Order.parse(res.body).status).toBe('PAID');
    expect(chargesOf(placed.id).map((c) => c.idempotencyKey)).toEqual([
      `${placed.id}:attempt-1:tok_insufficientFunds`,
      `${placed.id}:attempt-2:tok_insufficientFunds`,
      `${placed.id}:attempt-3:tok_visa`,
    ]);
    expect(
      service.payment.payments.filter((p) => p.orderId === placed.id).map((p) => p.status),
    ).toEqual(['DECLINED', 'DECLINED', 'CAPTURED']);
  });

  it('counts a decline once when two payments with the same card cross', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    let arrived = 0;
    let bothArrived: () => void = () => {};
    const barrier = new Promise<void>((resolve) => {
      bothArrived = resolve;
    });
    const crossing = await startPaymentStub({
      beforeAnswer: async () => {
        if (++arrived === 2) bothArrived();
        await barrier;
      },
    });
    const { app: appWithCrossing } = createTestApp(service.db, { paymentUrl: crossing.url });

    const answers = await Promise.all([
      payOrder(appWithCrossing, customer, placed.id, 'tok_chargeDeclined'),
      payOrder(appWithCrossing, customer, placed.id, 'tok_chargeDeclined'),
    ]);
    await payOrder(appWithCrossing, customer, placed.id, 'tok_visa');
    await crossing.close();

    expect(answers.map((res) => res.status)).toEqual([402, 402]);
    expect(crossing.charges.map((c) => c.idempotencyKey)).toEqual([
      `${placed.id}:attempt-1:tok_chargeDeclined`,
      `${placed.id}:attempt-1:tok_chargeDeclined`,
      `${placed.id}:attempt-2:tok_visa`,
    ]);
  });

  it('returns 409 naming the order as already PAID to a second payment, charging nothing and changing nothing', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    const paid = Order.parse((await payOrder(service.app, customer, placed.id, 'tok_visa')).body);

    const again = await payOrder(service.app, customer, placed.id, 'tok_visa');

    const problem = expectProblem(again, 409, 'invalid-order-state');
    expect(problem.detail).toBe(
      `Order #${placed.number} is already PAID; it was paid before, so nothing was charged`,
    );
    expect(problem.orderStatus).toBe('PAID');
    expect(chargesOf(placed.id)).toHaveLength(1);
    expect(service.payment.payments.filter((p) => p.orderId === placed.id)).toHaveLength(1);
    expect(await storedOrder(service.db, placed.id)).toEqual(paid);
    expect(await outboxMessages(service.db, placed.id)).toHaveLength(1);
  });

  it('returns 409 to a payment under a new Idempotency-Key once the order is READY, charging nothing', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    await payOrder(service.app, customer, placed.id, 'tok_visa');
    await forceStatus(service.db, placed.id, 'READY');
    const ready = await storedOrder(service.db, placed.id);

    const res = await payWithKey(customer, placed.id, randomUUID());

    const problem = expectProblem(res, 409, 'invalid-order-state');
    expect(problem.detail).toContain(`#${placed.number} is already READY`);
    expect(chargesOf(placed.id)).toHaveLength(1);
    expect(await storedOrder(service.db, placed.id)).toEqual(ready);
  });

  it('replays the first 200 to a retry with the same Idempotency-Key, charging once', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    const key = randomUUID();
    const first = await payWithKey(customer, placed.id, key);

    const retry = await payWithKey(customer, placed.id, key);

    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(Order.parse(retry.body)).toEqual(Order.parse(first.body));
    expect(chargesOf(placed.id)).toHaveLength(1);
  });

  it('returns 200 with the paid order to a retry that takes over the key of a request that stopped after paying', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    const key = randomUUID();
    const first = await payWithKey(customer, placed.id, key);
    // As a crash between recording the capture and keeping the answer leaves the key.
    await service.db.query(
      `update idempotency_keys set state = 'in_flight', holder = 'stopped',
         locked_until = now() - interval '1 second', response_status = null,
         response_headers = null, response_body = null
       where key = $1`,
      [key],
    );

    const retry = await payWithKey(customer, placed.id, key);

    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(Order.parse(retry.body)).toEqual(Order.parse(first.body));
    expect(chargesOf(placed.id)).toHaveLength(1);
    expect(await outboxMessages(service.db, placed.id)).toHaveLength(1);
  });

  it('returns 503 and leaves the order unchanged when the payment service is down', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    const { app: appWithoutPayments } = createTestApp(service.db, {
      paymentUrl: await unreachableUrl(),
    });

    const res = await payOrder(appWithoutPayments, customer, placed.id, 'tok_visa');

    expectProblem(res, 503, 'service-unavailable');
    expect(await storedOrder(service.db, placed.id)).toEqual(placed);
    expect(await outboxMessages(service.db, placed.id)).toEqual([]);
  });

  it('returns 502 and leaves the order unchanged when the payment service refuses the charge', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    const refusing = await startPaymentStub({
      beforeAnswer: async () => {
        throw new ProblemError(problemTypes.idempotencyKeyReused, 'another body under this key');
      },
    });
    const { app: appWithRefusingPayments } = createTestApp(service.db, {
      paymentUrl: refusing.url,
    });

    const res = await payOrder(appWithRefusingPayments, customer, placed.id, 'tok_visa');
    await refusing.close();

    expectProblem(res, 502, 'bad-gateway');
    expect(await storedOrder(service.db, placed.id)).toEqual(placed);
  });

  it('returns 409 and refunds the capture when the order was cancelled while the card was charged', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    const slow = await startPaymentStub({
      beforeAnswer: async ({ orderId }) => forceStatus(service.db, orderId, 'CANCELLED'),
    });
    const { app: appWithSlowPayments } = createTestApp(service.db, { paymentUrl: slow.url });

    const res = await payOrder(appWithSlowPayments, customer, placed.id, 'tok_visa');
    await slow.close();

    expectProblem(res, 409, 'invalid-order-state');
    const captured = slow.payments.find((p) => p.orderId === placed.id);
    expect(await storedOrder(service.db, placed.id)).toMatchObject({
      status: 'CANCELLED',
      paymentId: null,
    });
    expect(await outboxMessages(service.db, placed.id)).toMatchObject([
      { destination: 'payment.refund', payload: { paymentId: captured?.id, orderId: placed.id } },
    ]);
  });

  it('returns 409 and charges nothing for an order that is no longer awaiting payment', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    await cancelOrder(service.app, customer, placed.id);

    const res = await payOrder(service.app, customer, placed.id, 'tok_visa');

    expectProblem(res, 409, 'invalid-order-state');
    expect(chargesOf(placed.id)).toEqual([]);
    expect((await storedOrder(service.db, placed.id)).status).toBe('CANCELLED');
  });

  it("returns 404 and charges nothing for someone else's order", async () => {
    const placed = await placeOrder(service.app, newCustomerId());

    const res = await payOrder(service.app, newCustomerId(), placed.id, 'tok_visa');

    expectProblem(res, 404, 'order-not-found');
    expect(chargesOf(placed.id)).toEqual([]);
    expect(await storedOrder(service.db, placed.id)).toEqual(placed);
  });

  it('returns 403 for kitchen staff', async () => {
    const placed = await placeOrder(service.app, newCustomerId());

    const res = await request(service.app)
      .post(`/orders/${placed.id}/payment`)
      .use(asStaff('kitchen'))
      .send({ paymentMethod: 'tok_visa' });

    expectProblem(res, 403, 'forbidden');
    expect(chargesOf(placed.id)).toEqual([]);
  });

  it('returns 400 for a payment method that is not a test token', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);

    const res = await request(service.app)
      .post(`/orders/${placed.id}/payment`)
      .use(asCustomer(customer))
      .send({ paymentMethod: '4242 4242 4242 4242' });

    expectProblem(res, 400, 'validation');
    expect(chargesOf(placed.id)).toEqual([]);
  });
});
