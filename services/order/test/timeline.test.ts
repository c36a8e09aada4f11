import { Order, OrderTimeline } from '@cheesecake/contracts';
import { expectProblem, type TestCredential } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  asCustomer,
  asStaff,
  cancelOrder,
  deliverDueMessages,
  type KitchenBehaviour,
  newCustomerId,
  ONE_CHEESECAKE,
  payOrder,
  placeOrder,
  reportTicket,
  useOrderService,
} from './support.js';

describe('GET /orders/:orderId/timeline', () => {
  const kitchenBehaviour: KitchenBehaviour = { createTicket: 'accept' };
  const service = useOrderService({ payment: true, kitchen: kitchenBehaviour });

  const timelineOf = async (orderId: string, credential: TestCredential) =>
    request(service.app).get(`/orders/${orderId}/timeline`).use(credential);
  const requestIdOf = (res: request.Response) => res.headers['x-request-id'];
  /** Makes the outbox's retries due now, as time passing would. */
  const retryNow = () =>
    service.db.query("update outbox set next_attempt_at = now() where status = 'pending'");

  it('tells the saga step by step, oldest first, each step with the request that caused it', async () => {
    const customer = newCustomerId();
    const placed = Order.parse(
      (
        await request(service.app)
          .post('/orders')
          .use(asCustomer(customer))
          .set('x-request-id', 'req-place-1')
          .send(ONE_CHEESECAKE)
      ).body,
    );
    const declined = await payOrder(service.app, customer, placed.id, 'tok_chargeDeclined');
    const paid = await payOrder(service.app, customer, placed.id, 'tok_visa');
    kitchenBehaviour.createTicket = 'fail';
    await deliverDueMessages(service.relay);
    kitchenBehaviour.createTicket = 'accept';
    await retryNow();
    await deliverDueMessages(service.relay);
    const ticketId = service.kitchen.created.get(placed.id)?.id;
    const queued = await reportTicket(service.app, {
      orderId: placed.id,
      status: 'QUEUED',
      ticketId,
    });
    const preparing = await reportTicket(service.app, {
      orderId: placed.id,
      status: 'PREPARING',
      ticketId,
    });
    const ready = await reportTicket(service.app, {
      orderId: placed.id,
      status: 'READY',
      ticketId,
    });

    const res = await timelineOf(placed.id, asCustomer(customer));

    expect(res.status).toBe(200);
    const timeline = OrderTimeline.parse(res.body);
    const [declinedPayment, capturedPayment] = service.payment.payments.filter(
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
    const placed = await placeOrder(service.app, customer);
    await payOrder(service.app, customer, placed.id, 'tok_visa');
    await deliverDueMessages(service.relay);
    const rejected = await reportTicket(service.app, {
      orderId: placed.id,
      status: 'REJECTED',
      reason: 'Sold out: new-york-cheesecake (1 asked, 0 left)',
    });
    await deliverDueMessages(service.relay);

    const res = await timelineOf(placed.id, asStaff('kitchen'));

    const steps = OrderTimeline.parse(res.body).steps;
    const paymentId = service.payment.payments.find((p) => p.orderId === placed.id)?.id;
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
    expect(service.payment.refunds).toContain(paymentId);
  });

  it('tells the cancellation of a paid order and the refund it queues', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    await payOrder(service.app, customer, placed.id, 'tok_visa');
    const cancelled = await cancelOrder(service.app, customer, placed.id);

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
    const placed = await placeOrder(service.app, customer);
    await payOrder(service.app, customer, placed.id, 'tok_visa');
    await reportTicket(service.app, { orderId: placed.id, status: 'PREPARING' });

    await reportTicket(service.app, { orderId: placed.id, status: 'QUEUED' });
    await reportTicket(service.app, { orderId: placed.id, status: 'QUEUED' });
    await reportTicket(service.app, { orderId: placed.id, status: 'PREPARING' });
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
    const placed = await placeOrder(service.app, newCustomerId());

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
