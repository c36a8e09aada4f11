import { Order, OrderTimeline } from '@cheesecake/contracts';
import type { Database } from '@cheesecake/service-kit';
import { expectProblem, type TestCredential } from '@cheesecake/service-kit/testing';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asCustomer,
  asStaff,
  cancelOrder,
  createTestApp,
  deliverDueMessages,
  type KitchenBehaviour,
  type KitchenStub,
  newCustomerId,
  ONE_CHEESECAKE,
  openOrderDatabase,
  type PaymentStub,
  payOrder,
  placeOrder,
  reportTicket,
  startKitchenStub,
  startPaymentStub,
} from './support.js';

describe('GET /orders/:orderId/timeline', () => {
  let db: Database;
  let payment: PaymentStub;
  let kitchen: KitchenStub;
  const kitchenBehaviour: KitchenBehaviour = { createTicket: 'accept' };
  let app: Express;
  let relay: ReturnType<typeof createTestApp>['relay'];

  beforeAll(async () => {
    db = await openOrderDatabase();
    payment = await startPaymentStub();
    kitchen = await startKitchenStub(kitchenBehaviour);
    ({ app, relay } = createTestApp(db, { paymentUrl: payment.url, kitchenUrl: kitchen.url }));
  });
  afterAll(async () => {
    await Promise.all([payment.close(), kitchen.close()]);
    await db.close();
  });

  const timelineOf = async (orderId: string, credential: TestCredential) =>
    request(app).get(`/orders/${orderId}/timeline`).use(credential);
  const requestIdOf = (res: request.Response) => res.headers['x-request-id'];
  /** Makes the outbox's retries due now, as time passing would. */
  const retryNow = () =>
    db.query("update outbox set next_attempt_at = now() where status = 'pending'");

  it('tells the saga step by step, oldest first, each step with the request that caused it', async () => {
    const customer = newCustomerId();
    const placed = Order.parse(
      (
        await request(app)
          .post('/orders')
          .use(asCustomer(customer))
          .set('x-request-id', 'req-place-1')
          .send(ONE_CHEESECAKE)
      ).body,
    );
    const declined = await payOrder(app, customer, placed.id, 'tok_chargeDeclined');
    const paid = await payOrder(app, customer, placed.id, 'tok_visa');
    kitchenBehaviour.createTicket = 'fail';
    await deliverDueMessages(relay);
    kitchenBehaviour.createTicket = 'accept';
    await retryNow();
    await deliverDueMessages(relay);
    const ticketId = kitchen.created.get(placed.id)?.id;
    const queued = await reportTicket(app, { orderId: placed.id, status: 'QUEUED', ticketId });
    const preparing = await reportTicket(app, {
      orderId: placed.id,
      status: 'PREPARING',
      ticketId,
    });
    const ready = await reportTicket(app, { orderId: placed.id, status: 'READY', ticketId });

    const res = await timelineOf(placed.id, asCustomer(customer));

    expect(res.status).toBe(200);
    const timeline = OrderTimeline.parse(res.body);
    const [declinedPayment, capturedPayment] = payment.payments.filter(
      (p) => p.orderId === placed.id,
    );
    expect(timeline).toMatchObject({ orderId: placed.id, orderNumber: placed.number });
    expect(timeline.steps).toEqual([
      {
        step: 'order.placed',
        orderStatus: 'PENDING_PAYMENT',
        requestId: 'req-place-1',
        detail: `Order #${placed.number} placed: 1 × New York Cheesecake`,
        at: expect.any(String),
      },
      {
        step: 'payment.declined',
        orderStatus: 'PENDING_PAYMENT',
        requestId: requestIdOf(declined),
        paymentId: declinedPayment?.id,
        detail: `Payment ${declinedPayment?.id} declined: card_declined`,
        at: expect.any(String),
      },
      expect.objectContaining({
        step: 'payment.captured',
        orderStatus: 'PAID',
        requestId: requestIdOf(paid),
        paymentId: capturedPayment?.id,
      }),
      expect.objectContaining({
        step: 'ticket.delivery-failed',
        orderStatus: 'PAID',
        requestId: requestIdOf(paid),
        attempt: 1,
        detail: expect.stringContaining('kitchen'),
      }),
      expect.objectContaining({
        step: 'ticket.delivered',
        orderStatus: 'PAID',
        requestId: requestIdOf(paid),
        attempt: 2,
        ticketId,
      }),
      expect.objectContaining({
        step: 'kitchen.status',
        orderStatus: 'PAID',
        requestId: requestIdOf(queued),
        ticketId,
        ticketStatus: 'QUEUED',
      }),
      expect.objectContaining({
        step: 'kitchen.status',
        orderStatus: 'PREPARING',
        requestId: requestIdOf(preparing),
        ticketStatus: 'PREPARING',
      }),
      expect.objectContaining({
        step: 'kitchen.status',
        orderStatus: 'READY',
        requestId: requestIdOf(ready),
        ticketStatus: 'READY',
      }),
    ]);
    const times = timeline.steps.map((step) => Date.parse(step.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('tells a rejection and its refund, requested and then completed by the payment service', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(app, customer);
    await payOrder(app, customer, placed.id, 'tok_visa');
    await deliverDueMessages(relay);
    const rejected = await reportTicket(app, {
      orderId: placed.id,
      status: 'REJECTED',
      reason: 'Sold out: new-york-cheesecake (1 asked, 0 left)',
    });
    await deliverDueMessages(relay);

    const res = await timelineOf(placed.id, asStaff('kitchen'));

    const steps = OrderTimeline.parse(res.body).steps;
    const paymentId = payment.payments.find((p) => p.orderId === placed.id)?.id;
    expect(steps.map((step) => [step.step, step.orderStatus])).toEqual([
      ['order.placed', 'PENDING_PAYMENT'],
      ['payment.captured', 'PAID'],
      ['ticket.delivered', 'PAID'],
      ['kitchen.status', 'REJECTED'],
      ['refund.requested', 'REJECTED'],
      ['refund.completed', 'REJECTED'],
    ]);
    expect(steps.slice(3)).toMatchObject([
      {
        detail: expect.stringContaining('Sold out: new-york-cheesecake'),
        ticketStatus: 'REJECTED',
      },
      { paymentId, requestId: requestIdOf(rejected) },
      { paymentId, requestId: requestIdOf(rejected) },
    ]);
    expect(payment.refunds).toContain(paymentId);
  });

  it('tells the cancellation of a paid order and the refund it queues', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(app, customer);
    await payOrder(app, customer, placed.id, 'tok_visa');
    const cancelled = await cancelOrder(app, customer, placed.id);

    const res = await timelineOf(placed.id, asCustomer(customer));

    const steps = OrderTimeline.parse(res.body).steps;
    expect(steps.map((step) => [step.step, step.orderStatus])).toEqual([
      ['order.placed', 'PENDING_PAYMENT'],
      ['payment.captured', 'PAID'],
      ['order.cancelled', 'CANCELLED'],
      ['refund.requested', 'CANCELLED'],
    ]);
    expect(steps.slice(2).map((step) => step.requestId)).toEqual([
      requestIdOf(cancelled),
      requestIdOf(cancelled),
    ]);
  });

  it('shows a late kitchen report once, leaving the status where a later report put it', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(app, customer);
    await payOrder(app, customer, placed.id, 'tok_visa');
    await reportTicket(app, { orderId: placed.id, status: 'PREPARING' });

    await reportTicket(app, { orderId: placed.id, status: 'QUEUED' });
    await reportTicket(app, { orderId: placed.id, status: 'QUEUED' });
    await reportTicket(app, { orderId: placed.id, status: 'PREPARING' });
    const res = await timelineOf(placed.id, asCustomer(customer));

    const steps = OrderTimeline.parse(res.body).steps;
    expect(steps.map((step) => [step.step, step.ticketStatus, step.orderStatus])).toEqual([
      ['order.placed', undefined, 'PENDING_PAYMENT'],
      ['payment.captured', undefined, 'PAID'],
      ['kitchen.status', 'PREPARING', 'PREPARING'],
      ['kitchen.status', 'QUEUED', 'PREPARING'],
    ]);
  });

  it("returns 404 for someone else's order, which the kitchen and admins may see", async () => {
    const placed = await placeOrder(app, newCustomerId());

    const stranger = await timelineOf(placed.id, asCustomer(newCustomerId()));
    const kitchenStaff = await timelineOf(placed.id, asStaff('kitchen'));
    const admin = await timelineOf(placed.id, asStaff('admin'));

    expectProblem(stranger, 404, 'order-not-found');
    expect(OrderTimeline.parse(kitchenStaff.body).steps).toHaveLength(1);
    expect(OrderTimeline.parse(admin.body).steps).toHaveLength(1);
  });

  it('returns 404 for an order that does not exist', async () => {
    const res = await timelineOf('ord_unknown', asStaff('kitchen'));

    expectProblem(res, 404, 'order-not-found');
  });
});
