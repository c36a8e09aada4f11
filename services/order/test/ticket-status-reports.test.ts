import { type Order, TicketStatusReportAck } from '@cheesecake/contracts';
import { expectProblem } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  asCustomer,
  asService,
  cancelOrder,
  newCustomerId,
  outboxMessages,
  payOrder,
  placeOrder,
  reportTicket,
  storedOrder,
  useOrderService,
} from './support.js';

describe('POST /ticket-status-reports', () => {
  const service = useOrderService({ payment: true });

  const paidOrder = async (): Promise<Order> => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    await payOrder(service.app, customer, placed.id, 'tok_visa');
    return storedOrder(service.db, placed.id);
  };
  const appliedOf = (res: request.Response) => {
    expect(res.status).toBe(200);
    return TicketStatusReportAck.parse(res.body).applied;
  };
  const refundsOf = async (orderId: string) =>
    (await outboxMessages(service.db, orderId)).filter((m) => m.destination === 'payment.refund');

  it('records the ticket of a queued order and leaves it PAID', async () => {
    const paid = await paidOrder();

    const res = await reportTicket(service.app, {
      orderId: paid.id,
      status: 'QUEUED',
      ticketId: 'tkt_q1',
    });

    expect(appliedOf(res)).toBe(true);
    expect(await storedOrder(service.db, paid.id)).toMatchObject({
      status: 'PAID',
      ticketId: 'tkt_q1',
    });
  });

  it('moves a paid order to PREPARING, then READY', async () => {
    const paid = await paidOrder();

    const preparing = await reportTicket(service.app, { orderId: paid.id, status: 'PREPARING' });
    const afterPreparing = await storedOrder(service.db, paid.id);
    const ready = await reportTicket(service.app, { orderId: paid.id, status: 'READY' });

    expect(appliedOf(preparing)).toBe(true);
    expect(afterPreparing).toMatchObject({ status: 'PREPARING', ticketId: 'tkt_1' });
    expect(appliedOf(ready)).toBe(true);
    expect((await storedOrder(service.db, paid.id)).status).toBe('READY');
  });

  it('moves a paid order straight to READY when the PREPARING report has not arrived', async () => {
    const paid = await paidOrder();

    const res = await reportTicket(service.app, { orderId: paid.id, status: 'READY' });

    expect(appliedOf(res)).toBe(true);
    expect((await storedOrder(service.db, paid.id)).status).toBe('READY');
  });

  it('counts the order READY at /metrics, once, with the time it took from its payment', async () => {
    const sample = (text: string, name: string) =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    const metrics = async () => (await request(service.app).get('/metrics')).text;
    const paid = await paidOrder();
    const before = await metrics();

    await reportTicket(service.app, { orderId: paid.id, status: 'READY' });
    await reportTicket(service.app, { orderId: paid.id, status: 'READY' });

    const after = await metrics();
    expect(sample(after, 'order_paid_to_ready_seconds_count')).toBe(
      sample(before, 'order_paid_to_ready_seconds_count') + 1,
    );
    expect(sample(after, 'order_paid_to_ready_seconds_sum')).toBeGreaterThan(
      sample(before, 'order_paid_to_ready_seconds_sum'),
    );
    expect(sample(after, 'orders{status="READY"}')).toBe(
      sample(before, 'orders{status="READY"}') + 1,
    );
    expect(sample(after, 'orders{status="PAID"}')).toBe(
      sample(before, 'orders{status="PAID"}') - 1,
    );
  });

  it('answers 200 and changes nothing for a repeated or late report', async () => {
    const paid = await paidOrder();
    await reportTicket(service.app, { orderId: paid.id, status: 'PREPARING' });
    await reportTicket(service.app, { orderId: paid.id, status: 'READY' });
    const ready = await storedOrder(service.db, paid.id);

    const repeated = await reportTicket(service.app, { orderId: paid.id, status: 'READY' });
    const late = await reportTicket(service.app, { orderId: paid.id, status: 'PREPARING' });
    const lateQueued = await reportTicket(service.app, { orderId: paid.id, status: 'QUEUED' });

    expect([appliedOf(repeated), appliedOf(late), appliedOf(lateQueued)]).toEqual([
      false,
      false,
      false,
    ]);
    expect(await storedOrder(service.db, paid.id)).toEqual(ready);
  });

  it('rejects a paid order and enqueues one refund, however often the rejection is reported', async () => {
    const paid = await paidOrder();

    const first = await reportTicket(service.app, {
      orderId: paid.id,
      status: 'REJECTED',
      reason: 'Sold out: new-york-cheesecake (1 asked, 0 left)',
    });
    const repeated = await reportTicket(service.app, { orderId: paid.id, status: 'REJECTED' });

    expect(appliedOf(first)).toBe(true);
    expect(appliedOf(repeated)).toBe(false);
    expect(await storedOrder(service.db, paid.id)).toMatchObject({
      status: 'REJECTED',
      paymentId: paid.paymentId,
    });
    expect(await refundsOf(paid.id)).toMatchObject([
      { payload: { paymentId: paid.paymentId, orderId: paid.id } },
    ]);
  });

  it('does not reject an order whose preparation has started', async () => {
    const paid = await paidOrder();
    await reportTicket(service.app, { orderId: paid.id, status: 'PREPARING' });

    const res = await reportTicket(service.app, { orderId: paid.id, status: 'REJECTED' });

    expect(appliedOf(res)).toBe(false);
    expect((await storedOrder(service.db, paid.id)).status).toBe('PREPARING');
    expect(await refundsOf(paid.id)).toEqual([]);
  });

  it('only records the ticket of a cancelled ticket, leaving the status to the order', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    await cancelOrder(service.app, customer, placed.id);

    const cancelled = await reportTicket(service.app, {
      orderId: placed.id,
      status: 'CANCELLED',
      ticketId: 'tkt_c1',
    });
    const late = await reportTicket(service.app, { orderId: placed.id, status: 'PREPARING' });

    expect(appliedOf(cancelled)).toBe(true);
    expect(appliedOf(late)).toBe(false);
    expect(await storedOrder(service.db, placed.id)).toMatchObject({
      status: 'CANCELLED',
      ticketId: 'tkt_c1',
    });
  });

  it('cancels and refunds a paid order when the kitchen reports its ticket cancelled first', async () => {
    const paid = await paidOrder();

    const res = await reportTicket(service.app, {
      orderId: paid.id,
      status: 'CANCELLED',
      ticketId: 'tkt_c2',
    });

    expect(appliedOf(res)).toBe(true);
    expect(await storedOrder(service.db, paid.id)).toMatchObject({
      status: 'CANCELLED',
      ticketId: 'tkt_c2',
    });
    expect(await refundsOf(paid.id)).toMatchObject([
      { payload: { paymentId: paid.paymentId, orderId: paid.id } },
    ]);
  });

  it('returns 404 for an order that does not exist', async () => {
    const res = await reportTicket(service.app, { orderId: 'ord_unknown', status: 'QUEUED' });

    expectProblem(res, 404, 'order-not-found');
  });

  it('returns 403 and changes nothing when the report does not come from the kitchen', async () => {
    const paid = await paidOrder();
    const report = {
      ticketId: 'tkt_1',
      orderId: paid.id,
      status: 'READY',
      reason: null,
      occurredAt: new Date().toISOString(),
    };

    const fromGateway = await request(service.app)
      .post('/ticket-status-reports')
      .use(asService('gateway'))
      .send(report);
    const fromCustomer = await request(service.app)
      .post('/ticket-status-reports')
      .use(asCustomer(paid.customerId))
      .send(report);

    expectProblem(fromGateway, 403, 'forbidden');
    expectProblem(fromCustomer, 403, 'forbidden');
    expect(await storedOrder(service.db, paid.id)).toEqual(paid);
  });

  it('returns 400 for a status the kitchen does not have', async () => {
    const paid = await paidOrder();

    const res = await reportTicket(service.app, { orderId: paid.id, status: 'EATEN' as 'READY' });

    expectProblem(res, 400, 'validation');
    expect(await storedOrder(service.db, paid.id)).toEqual(paid);
  });
});
