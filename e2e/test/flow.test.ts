import { randomUUID } from 'node:crypto';
import { get } from 'node:http';
import {
  Menu,
  Order,
  OrderDetails,
  OrderPage,
  type OrderStatus,
  TicketList,
} from '@cheesecake/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentsOf } from './faults/support.js';
import { eventually, expectBody, expectProblem, GatewayClient } from './support/client.js';
import { type Stack, startStack } from './support/stack.js';

// The kitchen works by itself here, a little faster than its defaults.
let stack: Stack;
let anonymous: GatewayClient;
let alice: GatewayClient;
let bob: GatewayClient;
let kai: GatewayClient;

beforeAll(async () => {
  stack = await startStack({ KITCHEN_START_DELAY_MS: '200', KITCHEN_PREPARATION_MS: '500' });
  anonymous = new GatewayClient(stack.gatewayUrl);
  [alice, bob, kai] = await Promise.all([
    anonymous.as('alice'),
    anonymous.as('bob'),
    anonymous.as('kai'),
  ]);
});
afterAll(() => stack?.stop());

const cheesecake = {
  items: [{ menuItemId: 'new-york-cheesecake', quantity: 2 }],
  notes: 'No candles',
};

async function placeOrder(customer: GatewayClient, body: unknown = cheesecake): Promise<Order> {
  return expectBody(await customer.post('/api/orders', body), 201, Order);
}

async function orderDetails(customer: GatewayClient, id: string): Promise<OrderDetails> {
  return expectBody(await customer.get(`/api/orders/${id}`), 200, OrderDetails);
}

const reaches = (customer: GatewayClient, id: string, status: OrderStatus) =>
  eventually(
    () => orderDetails(customer, id),
    (order) => order.status === status,
  );

describe('the cheesecake flow through the gateway', () => {
  it('takes an order from the menu to READY with nobody touching the kitchen', async () => {
    const menu = expectBody(await anonymous.get('/api/menu'), 200, Menu);
    const newYork = menu.items.find((item) => item.id === 'new-york-cheesecake');

    const created = await alice.post('/api/orders', cheesecake);
    const order = expectBody(created, 201, Order);
    const paid = expectBody(
      await alice.post(`/api/orders/${order.id}/payment`, { paymentMethod: 'tok_visa' }),
      200,
      Order,
    );
    const ready = await reaches(alice, order.id, 'READY');

    expect(created.headers.get('location')).toBe(`/api/orders/${order.id}`);
    expect(order).toMatchObject({
      status: 'PENDING_PAYMENT',
      totalCents: 2 * (newYork?.priceCents ?? 0),
    });
    expect(paid.status).toBe('PAID');
    expect(ready.payment).toMatchObject({ status: 'CAPTURED', amountCents: order.totalCents });
    expect(ready.ticket).toMatchObject({
      status: 'READY',
      orderNumber: order.number,
      notes: 'No candles',
    });
  });

  it('answers 402 to a declined card, keeps the order payable, and takes the next card', async () => {
    const order = await placeOrder(alice);

    const declined = await alice.post(`/api/orders/${order.id}/payment`, {
      paymentMethod: 'tok_chargeDeclined',
    });
    const afterDecline = await orderDetails(alice, order.id);
    const paid = await alice.post(`/api/orders/${order.id}/payment`, { paymentMethod: 'tok_visa' });

    expectProblem(declined, 402, 'payment-declined');
    expect(afterDecline).toMatchObject({
      status: 'PENDING_PAYMENT',
      payment: { status: 'DECLINED' },
    });
    expect(expectBody(paid, 200, Order).status).toBe('PAID');
    expect((await orderDetails(alice, order.id)).payment?.status).toBe('CAPTURED');
  });

  it('cancels an unpaid order, then refuses to pay or cancel it again', async () => {
    const order = await placeOrder(alice);

    const cancelled = await alice.post(`/api/orders/${order.id}/cancel`);
    const payAfter = await alice.post(`/api/orders/${order.id}/payment`, {
      paymentMethod: 'tok_visa',
    });
    const cancelAgain = await alice.post(`/api/orders/${order.id}/cancel`);

    expect(expectBody(cancelled, 200, Order).status).toBe('CANCELLED');
    expectProblem(payAfter, 409, 'invalid-order-state');
    expectProblem(cancelAgain, 409, 'invalid-order-state');
    expect((await orderDetails(alice, order.id)).payment).toBeNull();
  });

  it('answers 409 to paying an order that is already paid, charging nothing, while its own key replays the 200', async () => {
    const order = await placeOrder(alice);
    const key = randomUUID();
    const paid = await alice.send(
      'POST',
      `/api/orders/${order.id}/payment`,
      { paymentMethod: 'tok_visa' },
      { 'idempotency-key': key },
    );

    const again = await alice.post(`/api/orders/${order.id}/payment`, {
      paymentMethod: 'tok_visa',
    });
    const replayed = await alice.send(
      'POST',
      `/api/orders/${order.id}/payment`,
      { paymentMethod: 'tok_visa' },
      { 'idempotency-key': key },
    );

    expect(expectBody(paid, 200, Order).status).toBe('PAID');
    const problem = expectProblem(again, 409, 'invalid-order-state');
    // The kitchen may have started on it meanwhile.
    expect(problem.detail).toMatch(
      new RegExp(
        `^Order #${order.number} is already (PAID|PREPARING|READY); .*nothing was charged`,
      ),
    );
    expect(expectBody(replayed, 200, Order)).toEqual(expectBody(paid, 200, Order));
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    const after = await orderDetails(alice, order.id);
    expect(['PAID', 'PREPARING', 'READY']).toContain(after.status);
    expect(after.paymentId).toBe(expectBody(paid, 200, Order).paymentId);
    expect((await paymentsOf(stack, order.id)).map((payment) => payment.status)).toEqual([
      'CAPTURED',
    ]);
  });

  it('refuses to cancel an order that is READY, and leaves it READY', async () => {
    const order = await placeOrder(alice);
    await alice.post(`/api/orders/${order.id}/payment`, { paymentMethod: 'tok_visa' });
    await reaches(alice, order.id, 'READY');

    const cancel = await alice.post(`/api/orders/${order.id}/cancel`);

    expectProblem(cancel, 409, 'invalid-order-state');
    expect((await orderDetails(alice, order.id)).status).toBe('READY');
  });

  it("answers 404 to another customer's order, whatever they try, and changes nothing", async () => {
    const order = await placeOrder(alice);

    const read = await bob.get(`/api/orders/${order.id}`);
    const pay = await bob.post(`/api/orders/${order.id}/payment`, { paymentMethod: 'tok_visa' });
    const cancel = await bob.post(`/api/orders/${order.id}/cancel`);
    const unknown = await alice.get('/api/orders/ord_doesnotexist');
    const bobsList = expectBody(await bob.get('/api/orders?limit=100'), 200, OrderPage);

    expectProblem(read, 404, 'order-not-found');
    expectProblem(pay, 404, 'order-not-found');
    expectProblem(cancel, 404, 'order-not-found');
    expectProblem(unknown, 404, 'order-not-found');
    expect(bobsList.items.map((item) => item.id)).not.toContain(order.id);
    expect((await orderDetails(alice, order.id)).status).toBe('PENDING_PAYMENT');
  });

  it('lets the kitchen see every order, and keeps customers off kitchen routes', async () => {
    const order = await placeOrder(alice);

    const kitchenView = await kai.get(`/api/orders/${order.id}`);
    const tickets = await alice.get('/api/kitchen/tickets');
    const stock = await alice.put('/api/kitchen/stock/tiramisu', { quantity: 0 });
    const kitchenOrders = await kai.post('/api/orders', cheesecake);

    expect(expectBody(kitchenView, 200, OrderDetails).id).toBe(order.id);
    expectProblem(tickets, 403, 'forbidden');
    expectProblem(stock, 403, 'forbidden');
    expectProblem(kitchenOrders, 403, 'forbidden');
  });

  it('still brings a paid order to READY when the kitchen was down at payment time', async () => {
    await stack.kill('kitchen');
    const order = await placeOrder(alice);

    const paid = await alice.post(`/api/orders/${order.id}/payment`, { paymentMethod: 'tok_visa' });
    const whileDown = await orderDetails(alice, order.id);
    await stack.start('kitchen');
    const ready = await reaches(alice, order.id, 'READY');

    expect(expectBody(paid, 200, Order).status).toBe('PAID');
    expect(whileDown).toMatchObject({
      status: 'PAID',
      ticket: null,
      payment: { status: 'CAPTURED' },
    });
    expect(ready.ticket?.status).toBe('READY');
  });
});

describe('many orders at once', () => {
  it('brings twenty orders paid at once to READY, each with one capture and one ticket', async () => {
    const orders = await Promise.all(Array.from({ length: 20 }, () => placeOrder(bob)));

    const payments = await Promise.all(
      orders.map((order) =>
        bob.post(`/api/orders/${order.id}/payment`, { paymentMethod: 'tok_visa' }),
      ),
    );
    const ready = await Promise.all(orders.map((order) => reaches(bob, order.id, 'READY')));
    const tickets = expectBody(await kai.get('/api/kitchen/tickets'), 200, TicketList).items;

    expect(payments.map((payment) => payment.status)).toEqual(orders.map(() => 200));
    for (const order of ready) {
      expect(order.payment).toMatchObject({ status: 'CAPTURED', amountCents: order.totalCents });
      expect(tickets.filter((ticket) => ticket.orderId === order.id)).toHaveLength(1);
    }
  });

  it.runIf(process.env.E2E_COMPOSE_SCALE?.includes('order='))(
    "spreads the gateway's calls over every replica of the order service",
    async () => {
      const marker = `spread-${Date.now()}`;

      for (let call = 0; call < 8; call += 1) {
        await alice.get('/api/orders', { 'x-request-id': `${marker}-${call}` });
      }
      const replicas = await stack.replicasThatLogged('order', marker);

      expect(replicas.length).toBeGreaterThan(1);
    },
  );
});

describe('errors a client can cause', () => {
  it('answers each with a problem document and creates nothing', async () => {
    const before = expectBody(await alice.get('/api/orders?limit=100'), 200, OrderPage).items
      .length;

    expectProblem(await anonymous.post('/api/orders', cheesecake), 401, 'unauthenticated');
    expectProblem(await alice.post('/api/orders', { items: [] }), 400, 'validation');
    expectProblem(await alice.get('/api/orders/%ZZ'), 400, 'bad-request');
    expectProblem(
      await alice.post('/api/orders', { ...cheesecake, status: 'PAID' }),
      400,
      'validation',
    );
    expectProblem(await alice.post('/api/orders', '{"items": ['), 400, 'malformed-json');
    expectProblem(
      await alice.send('POST', '/api/orders', 'items=1', { 'content-type': 'text/plain' }),
      415,
      'unsupported-media-type',
    );
    expectProblem(
      await alice.post('/api/orders', { items: cheesecake.items, notes: 'x'.repeat(200_000) }),
      413,
      'payload-too-large',
    );
    expectProblem(
      await anonymous.post('/api/auth/token', { username: 'alice', password: 'wrong' }),
      401,
      'invalid-credentials',
    );

    const after = expectBody(await alice.get('/api/orders?limit=100'), 200, OrderPage).items.length;
    expect(after).toBe(before);
  });

  it('answers 400 naming body.items.1.menuItemId to an item the menu does not have, and stores no order', async () => {
    const before = expectBody(await alice.get('/api/orders?limit=100'), 200, OrderPage).items;

    const res = await alice.post('/api/orders', {
      items: [...cheesecake.items, { menuItemId: 'chocolate-fudge-cake', quantity: 1 }],
    });

    const problem = expectProblem(res, 400, 'validation');
    expect(problem.errors).toEqual([
      { path: 'body.items.1.menuItemId', message: 'the menu has no item "chocolate-fudge-cake"' },
    ]);
    const after = expectBody(await alice.get('/api/orders?limit=100'), 200, OrderPage).items;
    expect(after).toEqual(before);
  });

  it('revalidates a conditional fetch() of the menu, which sends Cache-Control: no-cache, and answers 304', async () => {
    const first = await anonymous.get('/api/menu');
    const etag = first.headers.get('etag') ?? '';
    const requestId = `menu-revalidation-${randomUUID()}`;

    const revalidated = await anonymous.get('/api/menu', {
      'if-none-match': `W/"older", ${etag}`,
      'x-request-id': requestId,
    });
    const changed = await anonymous.get('/api/menu', { 'if-none-match': '"older"' });

    expect(revalidated.status).toBe(304);
    expect(revalidated.body).toBeUndefined();
    expect(revalidated.headers.get('etag')).toBe(etag);
    expect(expectBody(changed, 200, Menu)).toEqual(expectBody(first, 200, Menu));
    expect(changed.headers.get('etag')).toBe(etag);
    // The gateway asked the order service again, under the request's id, rather than its cache.
    const asked = await eventually(
      () => stack.replicasThatLogged('order', requestId),
      (replicas) => replicas.length > 0,
    );
    expect(asked.length).toBeGreaterThan(0);
  });

  it('answers 304 to a menu request that already has the current version', async () => {
    const first = await anonymous.get('/api/menu');
    const etag = first.headers.get('etag') ?? '';

    // A plain request, as curl sends it, answered from the gateway's cache: fetch() would add
    // Cache-Control: no-cache, which makes the gateway revalidate first (the test above).
    const status = await new Promise<number | undefined>((resolve, reject) => {
      get(`${stack.gatewayUrl}/api/menu`, { headers: { 'if-none-match': etag } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject);
    });

    expect(etag).not.toBe('');
    expect(status).toBe(304);
  });
});

describe('the services behind the gateway', () => {
  it.each(['order', 'payment', 'kitchen'] as const)(
    'the %s service answers 401 to a request without an internal credential',
    async (service) => {
      const path = { order: '/orders', payment: '/payments?orderId=ord_x', kitchen: '/tickets' }[
        service
      ];

      const answer = await stack.callService(service, path);

      expectProblem(answer, 401, 'unauthenticated');
    },
  );

  it('answers 401 to a gateway token presented straight to a service', async () => {
    const token = (
      await anonymous.send('POST', '/api/auth/token', { username: 'alice', password: 'cheesecake' })
    ).body as { access_token: string };

    const answer = await stack.callService('order', '/orders', {
      authorization: `Bearer ${token.access_token}`,
    });

    expectProblem(answer, 401, 'unauthenticated');
  });
});
