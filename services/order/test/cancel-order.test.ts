import { Order, type OrderStatus, type Payment } from '@cheesecake/contracts';
import { newId } from '@cheesecake/service-kit';
import { expectProblem } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  asStaff,
  cancelOrder,
  createTestApp,
  deliverDueMessages,
  forceStatus,
  newCustomerId,
  outboxMessages,
  payOrder,
  placeOrder,
  startKitchenStub,
  storedOrder,
  unreachableUrl,
  useOrderService,
} from './support.js';

describe('POST /orders/:orderId/cancel', () => {
  const service = useOrderService({ payment: true, kitchen: { cancelTicket: 'cancel' } });

  const paidOrder = async (customer: string) => {
    const placed = await placeOrder(service.app, customer);
    const paid = await payOrder(service.app, customer, placed.id, 'tok_visa');
    return Order.parse(paid.body);
  };
  const refundsOf = async (orderId: string) =>
    (await outboxMessages(service.db, orderId)).filter((m) => m.destination === 'payment.refund');

  it('cancels an order awaiting payment without asking the kitchen', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);

    const res = await cancelOrder(service.app, customer, placed.id);

    expect(res.status).toBe(200);
    const cancelled = Order.parse(res.body);
    expect(cancelled.status).toBe('CANCELLED');
    expect(await storedOrder(service.db, placed.id)).toEqual(cancelled);
    expect(service.kitchen.cancellations.filter((c) => c.orderId === placed.id)).toEqual([]);
    expect(await outboxMessages(service.db, placed.id)).toEqual([]);
  });

  it('refunds a capture the order never heard of when an order awaiting payment is cancelled', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
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
    service.payment.payments.push(lost);

    const res = await cancelOrder(service.app, customer, placed.id);
    await deliverDueMessages(service.relay);

    expect(res.status).toBe(200);
    expect(Order.parse(res.body)).toMatchObject({ status: 'CANCELLED', paymentId: lost.id });
    expect(await refundsOf(placed.id)).toMatchObject([
      { payload: { paymentId: lost.id, orderId: placed.id }, status: 'delivered' },
    ]);
    expect(lost.status).toBe('REFUNDED');
  });

  it('returns 503 and keeps the order awaiting payment when the payment service is down', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    const { app: appWithoutPayments } = createTestApp(service.db, {
      paymentUrl: await unreachableUrl(),
      kitchenUrl: service.kitchen.url,
    });

    const res = await cancelOrder(appWithoutPayments, customer, placed.id);

    expectProblem(res, 503, 'service-unavailable');
    expect((await storedOrder(service.db, placed.id)).status).toBe('PENDING_PAYMENT');
    expect(await outboxMessages(service.db, placed.id)).toEqual([]);
  });

  it('cancels a paid order whose ticket the kitchen can still cancel, and refunds the payment', async () => {
    const customer = newCustomerId();
    const paid = await paidOrder(customer);

    const res = await cancelOrder(service.app, customer, paid.id);
    await deliverDueMessages(service.relay);

    expect(res.status).toBe(200);
    expect(Order.parse(res.body)).toMatchObject({ status: 'CANCELLED', paymentId: paid.paymentId });
    expect(service.kitchen.cancellations.filter((c) => c.orderId === paid.id)).toMatchObject([
      { orderNumber: paid.number, caller: { service: 'order' } },
    ]);
    expect(await refundsOf(paid.id)).toMatchObject([
      { payload: { paymentId: paid.paymentId, orderId: paid.id }, status: 'delivered' },
    ]);
    expect(service.payment.payments.find((p) => p.id === paid.paymentId)?.status).toBe('REFUNDED');
  });

  it('returns 409 and keeps the order paid when the kitchen has started preparing it', async () => {
    const customer = newCustomerId();
    const paid = await paidOrder(customer);
    const busyKitchen = await startKitchenStub({ cancelTicket: 'refuse' });
    const { app: appWithBusyKitchen } = createTestApp(service.db, { kitchenUrl: busyKitchen.url });

    const res = await cancelOrder(appWithBusyKitchen, customer, paid.id);
    await busyKitchen.close();

    const problem = expectProblem(res, 409, 'invalid-order-state');
    expect(problem.detail).toContain('preparation has started');
    expect(busyKitchen.cancellations).toHaveLength(1);
    expect((await storedOrder(service.db, paid.id)).status).toBe('PAID');
    expect(await refundsOf(paid.id)).toEqual([]);
  });

  it('returns 503 and keeps the order paid when the kitchen is down', async () => {
    const customer = newCustomerId();
    const paid = await paidOrder(customer);
    const { app: appWithoutKitchen } = createTestApp(service.db, {
      kitchenUrl: await unreachableUrl(),
    });

    const res = await cancelOrder(appWithoutKitchen, customer, paid.id);

    expectProblem(res, 503, 'service-unavailable');
    expect((await storedOrder(service.db, paid.id)).status).toBe('PAID');
    expect(await refundsOf(paid.id)).toEqual([]);
  });

  it.each<OrderStatus>(['PREPARING', 'READY', 'CANCELLED', 'REJECTED'])(
    'returns 409 and changes nothing for a %s order',
    async (status) => {
      const customer = newCustomerId();
      const paid = await paidOrder(customer);
      await forceStatus(service.db, paid.id, status);
      const before = await storedOrder(service.db, paid.id);

      const res = await cancelOrder(service.app, customer, paid.id);

      expectProblem(res, 409, 'invalid-order-state');
      expect(await storedOrder(service.db, paid.id)).toEqual(before);
      expect(service.kitchen.cancellations.filter((c) => c.orderId === paid.id)).toEqual([]);
      expect(await refundsOf(paid.id)).toEqual([]);
    },
  );

  it('returns 409 when the order is cancelled a second time', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    await cancelOrder(service.app, customer, placed.id);

    const res = await cancelOrder(service.app, customer, placed.id);

    expectProblem(res, 409, 'invalid-order-state');
    expect((await storedOrder(service.db, placed.id)).status).toBe('CANCELLED');
  });

  it("returns 404 and changes nothing for someone else's order", async () => {
    const placed = await placeOrder(service.app, newCustomerId());

    const res = await cancelOrder(service.app, newCustomerId(), placed.id);

    expectProblem(res, 404, 'order-not-found');
    expect(await storedOrder(service.db, placed.id)).toEqual(placed);
  });

  it('returns 403 for kitchen staff', async () => {
    const placed = await placeOrder(service.app, newCustomerId());

    const res = await request(service.app)
      .post(`/orders/${placed.id}/cancel`)
      .use(asStaff('kitchen'));

    expectProblem(res, 403, 'forbidden');
    expect(await storedOrder(service.db, placed.id)).toEqual(placed);
  });
});
