import {
  Menu,
  Order,
  OrderDetails,
  OrderPage,
  type OrderStatus,
  Ticket,
  TicketList,
} from '@cheesecake/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, expectBody, expectProblem, GatewayClient } from './support/client.js';
import { SERVICES, type Stack, startStack } from './support/stack.js';

// Automatic preparation is off here: tickets stay QUEUED until the staff act.
let stack: Stack;
let alice: GatewayClient;
let kai: GatewayClient;

beforeAll(async () => {
  stack = await startStack({ KITCHEN_AUTO_PREPARE: 'false' });
  const anonymous = new GatewayClient(stack.gatewayUrl);
  [alice, kai] = await Promise.all([anonymous.as('alice'), anonymous.as('kai')]);
});
afterAll(() => stack?.stop());

async function paidOrder(menuItemId = 'basque-burnt-cheesecake'): Promise<Order> {
  const order = expectBody(
    await alice.post('/api/orders', { items: [{ menuItemId, quantity: 1 }] }),
    201,
    Order,
  );
  expect(
    (await alice.post(`/api/orders/${order.id}/payment`, { paymentMethod: 'tok_visa' })).status,
  ).toBe(200);
  return order;
}

const details = async (id: string) =>
  expectBody(await alice.get(`/api/orders/${id}`), 200, OrderDetails);

const queuedTicketOf = async (orderId: string): Promise<Ticket> => {
  const order = await eventually(
    () => details(orderId),
    (current) => current.ticket?.status === 'QUEUED',
  );
  return order.ticket as Ticket;
};

/** The ids on the first page of Alice's orders, newest first. */
const idsOfOrders = async () =>
  expectBody(await alice.get('/api/orders'), 200, OrderPage).items.map((order) => order.id);

/** A dish's availability on the menu, once the menu (revalidated past caches) shows `expected`. */
const availabilityOf = async (menuItemId: string, expected: boolean) => {
  const menu = await eventually(
    async () =>
      expectBody(await alice.get('/api/menu', { 'cache-control': 'no-cache' }), 200, Menu),
    (current) =>
      current.items.some((item) => item.id === menuItemId && item.available === expected),
  );
  return menu.items.find((item) => item.id === menuItemId)?.available;
};

const reaches = (id: string, done: (order: OrderDetails) => boolean) =>
  eventually(() => details(id), done);
const hasStatus = (status: OrderStatus) => (order: OrderDetails) => order.status === status;

describe('kitchen staff preparing by hand', () => {
  it('starts and finishes a queued ticket, and the order follows', async () => {
    const order = await paidOrder();
    const ticket = await queuedTicketOf(order.id);

    const queue = expectBody(await kai.get('/api/kitchen/tickets?status=QUEUED'), 200, TicketList);
    const started = await kai.post(`/api/kitchen/tickets/${ticket.id}/start`);
    const preparing = await reaches(order.id, hasStatus('PREPARING'));
    const startedAgain = await kai.post(`/api/kitchen/tickets/${ticket.id}/start`);
    const finished = await kai.post(`/api/kitchen/tickets/${ticket.id}/ready`);
    const ready = await reaches(order.id, hasStatus('READY'));

    expect(queue.items.map((item) => item.id)).toContain(ticket.id);
    expect(expectBody(started, 200, Ticket).status).toBe('PREPARING');
    expect(preparing.ticket?.status).toBe('PREPARING');
    expectProblem(startedAgain, 409, 'invalid-ticket-state');
    expect(expectBody(finished, 200, Ticket).status).toBe('READY');
    expect(ready.ticket?.status).toBe('READY');
  });

  it('keeps a ticket the kitchen accepted when the kitchen is killed mid-preparation', async () => {
    const order = await paidOrder();
    const ticket = await queuedTicketOf(order.id);
    await kai.post(`/api/kitchen/tickets/${ticket.id}/start`);

    await stack.kill('kitchen');
    await stack.start('kitchen');
    const afterRestart = await reaches(order.id, (current) => current.ticket !== null);
    const finished = await kai.post(`/api/kitchen/tickets/${ticket.id}/ready`);
    const ready = await reaches(order.id, hasStatus('READY'));

    expect(afterRestart.ticket).toMatchObject({ id: ticket.id, status: 'PREPARING' });
    expect(expectBody(finished, 200, Ticket).status).toBe('READY');
    expect(ready.payment?.status).toBe('CAPTURED');
  });

  it('cancels a paid order whose ticket is still queued, and refunds it', async () => {
    const order = await paidOrder();
    await queuedTicketOf(order.id);

    const cancelled = await alice.post(`/api/orders/${order.id}/cancel`);
    const settled = await reaches(order.id, (current) => current.payment?.status === 'REFUNDED');

    expect(expectBody(cancelled, 200, Order).status).toBe('CANCELLED');
    expect(settled).toMatchObject({ status: 'CANCELLED', ticket: { status: 'CANCELLED' } });
  });

  it('refuses to cancel once preparation has started, and keeps the payment', async () => {
    const order = await paidOrder();
    const ticket = await queuedTicketOf(order.id);
    await kai.post(`/api/kitchen/tickets/${ticket.id}/start`);
    await reaches(order.id, hasStatus('PREPARING'));

    const cancel = await alice.post(`/api/orders/${order.id}/cancel`);

    expectProblem(cancel, 409, 'invalid-order-state');
    expect(await details(order.id)).toMatchObject({
      status: 'PREPARING',
      payment: { status: 'CAPTURED' },
    });
  });

  it('sets stock only of the dishes on the menu: 404 for any other, and stocks nothing', async () => {
    const first = await kai.put('/api/kitchen/stock/unknown-item', { quantity: 5 });
    const again = await kai.put('/api/kitchen/stock/unknown-item', { quantity: 5 });

    expectProblem(first, 404, 'dish-not-stocked');
    // Still unknown: the first answer created no stock to update.
    expectProblem(again, 404, 'dish-not-stocked');
  });

  it('answers 409 menu-item-unavailable to an order for a dish the kitchen sold out, and sells it again once restocked', async () => {
    const matcha = { items: [{ menuItemId: 'matcha-cheesecake', quantity: 1 }] };
    const ordersBefore = await idsOfOrders();

    expect((await kai.put('/api/kitchen/stock/matcha-cheesecake', { quantity: 0 })).status).toBe(
      200,
    );
    const soldOut = await availabilityOf('matcha-cheesecake', false);
    const refused = await alice.post('/api/orders', matcha);
    const ordersAfter = await idsOfOrders();
    expect((await kai.put('/api/kitchen/stock/matcha-cheesecake', { quantity: 3 })).status).toBe(
      200,
    );
    const restocked = await availabilityOf('matcha-cheesecake', true);
    const placed = await alice.post('/api/orders', matcha);

    expect(soldOut).toBe(false);
    const problem = expectProblem(refused, 409, 'menu-item-unavailable');
    expect(problem.menuItemIds).toEqual(['matcha-cheesecake']);
    expect(ordersAfter).toEqual(ordersBefore);
    expect(restocked).toBe(true);
    expect(expectBody(placed, 201, Order).status).toBe('PENDING_PAYMENT');
  });

  it('rejects and refunds an order whose dish sold out between ordering and paying', async () => {
    const order = expectBody(
      await alice.post('/api/orders', { items: [{ menuItemId: 'lemon-tart', quantity: 1 }] }),
      201,
      Order,
    );
    expect((await kai.put('/api/kitchen/stock/lemon-tart', { quantity: 0 })).status).toBe(200);

    const paid = await alice.post(`/api/orders/${order.id}/payment`, { paymentMethod: 'tok_visa' });
    const settled = await reaches(
      order.id,
      (current) => current.status === 'REJECTED' && current.payment?.status === 'REFUNDED',
    );

    expect(paid.status).toBe(200);
    expect(settled.ticket).toMatchObject({ status: 'REJECTED' });
    expect(settled.ticket?.rejectionReason).toContain('lemon-tart');
  });

  it('keeps every order, payment and ticket when the whole stack stops gracefully and starts again', async () => {
    const order = await paidOrder();
    const before = await eventually(
      () => details(order.id),
      (current) => current.ticketId !== null && current.ticket !== null,
    );

    const exitCodes = [];
    for (const service of [...SERVICES].reverse()) exitCodes.push(await stack.terminate(service));
    for (const service of SERVICES) await stack.start(service);
    const after = await details(order.id);

    expect(exitCodes).toEqual([0, 0, 0, 0]);
    expect(after).toEqual(before);
  });
});
