import { Order, type OrderStatus, type Payment } from '@cheesecake/contracts';
import { type Database, newId } from '@cheesecake/service-kit';
import { expectProblem } from '@cheesecake/service-kit/testing';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asStaff,
  cancelOrder,
  createTestApp,
  deliverDueMessages,
  forceStatus,
  type KitchenStub,
  newCustomerId,
  openOrderDatabase,
  outboxMessages,
  type PaymentStub,
  payOrder,
  placeOrder,
  startKitchenStub,
  startPaymentStub,
  storedOrder,
  unreachableUrl,
} from './support.js';

describe('POST /orders/:orderId/cancel', () => {
  let db: Database;
  let payment: PaymentStub;
  let kitchen: KitchenStub;
  let app: Express;
  let relay: ReturnType<typeof createTestApp>['relay'];

  beforeAll(async () => {
    db = await openOrderDatabase();
    payment = await startPaymentStub();
    kitchen = await startKitchenStub({ cancelTicket: 'cancel' });
    ({ app, relay } = createTestApp(db, { paymentUrl: payment.url, kitchenUrl: kitchen.url }));
  });
  afterAll(async () => {
    await Promise.all([payment.close(), kitchen.close()]);
    await db.close();
  });

  const paidOrder = async (customer: string) => {
    const placed = await placeOrder(app, customer);
    const paid = await payOrder(app, customer, placed.id, 'tok_visa');
    return Order.parse(paid.body);
  };
  const refundsOf = async (orderId: string) =>
    (await outboxMessages(db, orderId)).filter((m) => m.destination === 'payment.refund');

  it('cancels an order awaiting payment without asking the kitchen', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(app, customer);

    const res = await cancelOrder(app, customer, placed.id);

    expect(res.status).toBe(200);
    const cancelled = Order.parse(res.body);
    expect(cancelled.status).toBe('CANCELLED');
    expect(await storedOrder(db, placed.id)).toEqual(cancelled);
    expect(kitchen.cancellations.filter((c) => c.orderId === placed.id)).toEqual([]);
    expect(await outboxMessages(db, placed.id)).toEqual([]);
  });

  it('refunds a capture the order never heard of when an order awaiting payment is cancelled', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(app, customer);
    // A charge that was captured, but whose answer never reached the order service.
    const lost: Payment = {
      id: newId('pay'),
      orderId: placed.id,
      amountCents: placed.totalCents,
      currency: placed.currency,
      status: 'CAPTURED',
      declineCode: null,
      createdAt: new Date().toISOString(),
      refundedAt: null,
    };
    payment.payments.push(lost);

    const res = await cancelOrder(app, customer, placed.id);
    await deliverDueMessages(relay);

    expect(res.status).toBe(200);
    expect(Order.parse(res.body)).toMatchObject({ status: 'CANCELLED', paymentId: lost.id });
    expect(await refundsOf(placed.id)).toMatchObject([
      { payload: { paymentId: lost.id, orderId: placed.id }, status: 'delivered' },
    ]);
    expect(lost.status).toBe('REFUNDED');
  });

  it('returns 503 and keeps the order awaiting payment when the payment service is down', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(app, customer);
    const { app: appWithoutPayments } = createTestApp(db, {
      paymentUrl: await unreachableUrl(),
      kitchenUrl: kitchen.url,
    });

    const res = await cancelOrder(appWithoutPayments, customer, placed.id);

    expectProblem(res, 503, 'service-unavailable');
    expect((await storedOrder(db, placed.id)).status).toBe('PENDING_PAYMENT');
    expect(await outboxMessages(db, placed.id)).toEqual([]);
  });

  it('cancels a paid order whose ticket the kitchen can still cancel, and refunds the payment', async () => {
    const customer = newCustomerId();
    const paid = await paidOrder(customer);

    const res = await cancelOrder(app, customer, paid.id);
    await deliverDueMessages(relay);

    expect(res.status).toBe(200);
    expect(Order.parse(res.body)).toMatchObject({ status: 'CANCELLED', paymentId: paid.paymentId });
    expect(kitchen.cancellations.filter((c) => c.orderId === paid.id)).toMatchObject([
      { orderNumber: paid.number, caller: { service: 'order' } },
    ]);
    expect(await refundsOf(paid.id)).toMatchObject([
      { payload: { paymentId: paid.paymentId, orderId: paid.id }, status: 'delivered' },
    ]);
    expect(payment.payments.find((p) => p.id === paid.paymentId)?.status).toBe('REFUNDED');
  });

  it('returns 409 and keeps the order paid when the kitchen has started preparing it', async () => {
    const customer = newCustomerId();
    const paid = await paidOrder(customer);
    const busyKitchen = await startKitchenStub({ cancelTicket: 'refuse' });
    const { app: appWithBusyKitchen } = createTestApp(db, { kitchenUrl: busyKitchen.url });

    const res = await cancelOrder(appWithBusyKitchen, customer, paid.id);
    await busyKitchen.close();

    const problem = expectProblem(res, 409, 'invalid-order-state');
    expect(problem.detail).toContain('preparation has started');
    expect(busyKitchen.cancellations).toHaveLength(1);
    expect((await storedOrder(db, paid.id)).status).toBe('PAID');
    expect(await refundsOf(paid.id)).toEqual([]);
  });

  it('returns 503 and keeps the order paid when the kitchen is down', async () => {
    const customer = newCustomerId();
    const paid = await paidOrder(customer);
    const { app: appWithoutKitchen } = createTestApp(db, { kitchenUrl: await unreachableUrl() });

    const res = await cancelOrder(appWithoutKitchen, customer, paid.id);

    expectProblem(res, 503, 'service-unavailable');
    expect((await storedOrder(db, paid.id)).status).toBe('PAID');
    expect(await refundsOf(paid.id)).toEqual([]);
  });

  it.each<OrderStatus>(['PREPARING', 'READY', 'CANCELLED', 'REJECTED'])(
    'returns 409 and changes nothing for a %s order',
    async (status) => {
      const customer = newCustomerId();
      const paid = await paidOrder(customer);
      await forceStatus(db, paid.id, status);
      const before = await storedOrder(db, paid.id);

      const res = await cancelOrder(app, customer, paid.id);

      expectProblem(res, 409, 'invalid-order-state');
      expect(await storedOrder(db, paid.id)).toEqual(before);
      expect(kitchen.cancellations.filter((c) => c.orderId === paid.id)).toEqual([]);
      expect(await refundsOf(paid.id)).toEqual([]);
    },
  );

  it('returns 409 when the order is cancelled a second time', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(app, customer);
    await cancelOrder(app, customer, placed.id);

    const res = await cancelOrder(app, customer, placed.id);

    expectProblem(res, 409, 'invalid-order-state');
    expect((await storedOrder(db, placed.id)).status).toBe('CANCELLED');
  });

  it("returns 404 and changes nothing for someone else's order", async () => {
    const placed = await placeOrder(app, newCustomerId());

    const res = await cancelOrder(app, newCustomerId(), placed.id);

    expectProblem(res, 404, 'order-not-found');
    expect(await storedOrder(db, placed.id)).toEqual(placed);
  });

  it('returns 403 for kitchen staff', async () => {
    const placed = await placeOrder(app, newCustomerId());

    const res = await request(app).post(`/orders/${placed.id}/cancel`).use(asStaff('kitchen'));

    expectProblem(res, 403, 'forbidden');
    expect(await storedOrder(db, placed.id)).toEqual(placed);
  });
});
