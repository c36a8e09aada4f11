import {
  type CreateTicketRequest,
  Order,
  OrderTimeline,
  Payment,
  Ticket,
  TicketStatusReportAck,
} from '@cheesecake/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBody, GatewayClient } from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';
import {
  asService,
  checkout,
  expectReadyWithOneCaptureAndOneTicket,
  paymentsOf,
  ticketsOf,
} from './support.js';

let stack: Stack;
let alice: GatewayClient;

beforeAll(async () => {
  stack = await startStack({ KITCHEN_START_DELAY_MS: '200', KITCHEN_PREPARATION_MS: '500' });
  alice = await new GatewayClient(stack.gatewayUrl).as('alice');
});
afterAll(() => stack?.stop());

// At-least-once delivery means any message may arrive again: a relay that delivered it and
// crashed before noting so delivers it once more. Each receiver must make the copy harmless.
describe('a message delivered twice', () => {
  it('gives the kitchen one ticket for an order, however often the ticket arrives', async () => {
    const order = await checkout(alice);
    await expectReadyWithOneCaptureAndOneTicket(stack, alice, order);
    const ticket: CreateTicketRequest = {
      orderId: order.id,
      orderNumber: order.number,
      items: order.items.map(({ menuItemId, name, quantity }) => ({ menuItemId, name, quantity })),
      notes: order.notes,
    };

    const again = await stack.callService(
      'kitchen',
      '/tickets',
      await asService('order', 'kitchen', 'POST', '/tickets'),
      {
        method: 'POST',
        body: ticket,
      },
    );

    expect(again.status).toBe(200);
    const [only] = await ticketsOf(stack, order.id);
    expect(Ticket.parse(again.body).id).toBe(only?.id);
    expect(await ticketsOf(stack, order.id)).toHaveLength(1);
  });

  it('charges once for a charge sent twice with its key', async () => {
    const order = expectBody(
      await alice.post('/api/orders', { items: [{ menuItemId: 'tiramisu', quantity: 1 }] }),
      201,
      Order,
    );
    const charge = {
      orderId: order.id,
      amountCents: order.totalCents,
      currency: order.currency,
      paymentMethod: 'tok_visa',
    };
    const headers = {
      ...(await asService('order', 'payment', 'POST', '/payments')),
      'idempotency-key': `${order.id}:dup`,
    };

    const first = await stack.callService('payment', '/payments', headers, {
      method: 'POST',
      body: charge,
    });
    const second = await stack.callService('payment', '/payments', headers, {
      method: 'POST',
      body: charge,
    });

    expect(Payment.parse(second.body).id).toBe(Payment.parse(first.body).id);
    expect(await paymentsOf(stack, order.id)).toHaveLength(1);
  });

  it('refunds once for a refund delivered twice', async () => {
    const order = await checkout(alice);
    const [payment] = await paymentsOf(stack, order.id);
    const refund = `/payments/${payment?.id}/refund`;
    const headers = await asService('order', 'payment', 'POST', refund);

    const answers = [
      await stack.callService('payment', refund, headers, { method: 'POST' }),
      await stack.callService('payment', refund, headers, { method: 'POST' }),
    ];

    expect(answers.map((answer) => Payment.parse(answer.body).status)).toEqual([
      'REFUNDED',
      'REFUNDED',
    ]);
    expect((await paymentsOf(stack, order.id)).map((p) => p.status)).toEqual(['REFUNDED']);
  });

  it('moves the order once for a kitchen report delivered twice', async () => {
    const order = await checkout(alice);
    await expectReadyWithOneCaptureAndOneTicket(stack, alice, order);
    const [ticket] = await ticketsOf(stack, order.id);
    const report = {
      ticketId: ticket?.id,
      orderId: order.id,
      status: 'READY',
      reason: null,
      occurredAt: new Date().toISOString(),
    };

    const again = await stack.callService(
      'order',
      '/ticket-status-reports',
      await asService('kitchen', 'order', 'POST', '/ticket-status-reports'),
      {
        method: 'POST',
        body: report,
      },
    );
    const timeline = expectBody(
      await alice.get(`/api/orders/${order.id}/timeline`),
      200,
      OrderTimeline,
    );

    expect(TicketStatusReportAck.parse(again.body)).toEqual({ applied: false });
    expect(
      timeline.steps.filter(
        (step) => step.step === 'kitchen.status' && step.ticketStatus === 'READY',
      ),
    ).toHaveLength(1);
    expect(timeline.steps.at(-1)?.orderStatus).toBe('READY');
  });
});
