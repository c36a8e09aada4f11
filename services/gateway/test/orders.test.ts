import {
  Order,
  OrderDetails,
  OrderPage,
  type Payment,
  problemTypes,
  type Ticket,
} from '@cheesecake/contracts';
import { ProblemError } from '@cheesecake/service-kit';
import { expectProblem } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anOrder, aPayment, aTicket, signIn, startSystem, type TestSystem } from './support.js';

let system: TestSystem;
let orders: Map<string, Order>;
let payments: Payment[];
let tickets: Ticket[];

const orderNotFound = (orderId: string) =>
  new ProblemError(problemTypes.orderNotFound, `Order ${orderId} does not exist`);

beforeEach(async () => {
  orders = new Map();
  payments = [];
  tickets = [];
  system = await startSystem({
    order: {
      createOrder: async ({ body }, { caller }) => {
        if (body.items.some((item) => item.menuItemId === 'sold-out-cheesecake')) {
          throw new ProblemError(problemTypes.menuItemUnavailable, 'Sold out today');
        }
        const order = anOrder({ id: `ord_${orders.size + 1}`, customerId: caller.user?.id });
        orders.set(order.id, order);
        // Like the real service: its own path, which the gateway turns into the public one.
        return { status: 201, body: order, headers: { location: `/orders/${order.id}` } };
      },
      listOrders: async ({ query }) => ({
        status: 200,
        body: {
          items: [...orders.values()]
            .filter((order) => !query.status || order.status === query.status)
            .slice(0, query.limit),
          nextCursor: null,
        },
      }),
      // Like the real service: a customer asking for someone else's order gets 404.
      getOrder: async ({ params }, { caller }) => {
        const order = orders.get(params.orderId);
        const visible = caller.user?.role !== 'customer' || order?.customerId === caller.user.id;
        if (!order || !visible) throw orderNotFound(params.orderId);
        return { status: 200, body: order };
      },
      payOrder: async ({ params, body }) => {
        const order = orders.get(params.orderId);
        if (!order) throw orderNotFound(params.orderId);
        if (body.paymentMethod !== 'tok_visa') {
          throw new ProblemError(problemTypes.paymentDeclined, 'The card was declined', {
            declineCode: 'card_declined',
          });
        }
        return { status: 200, body: { ...order, status: 'PAID', paymentId: 'pay_1' } };
      },
      cancelOrder: async ({ params }) => {
        const order = orders.get(params.orderId);
        if (!order) throw orderNotFound(params.orderId);
        if (order.status !== 'PENDING_PAYMENT') {
          throw new ProblemError(
            problemTypes.invalidOrderState,
            `Order ${order.id} is ${order.status}`,
          );
        }
        return { status: 200, body: { ...order, status: 'CANCELLED' } };
      },
    },
    payment: {
      listPayments: async ({ query }) => ({
        status: 200,
        body: { items: payments.filter((payment) => payment.orderId === query.orderId) },
      }),
    },
    kitchen: {
      listTickets: async ({ query }) => ({
        status: 200,
        body: { items: tickets.filter((ticket) => ticket.orderId === query.orderId) },
      }),
    },
  });
});
afterEach(() => system.close());

const givenOrder = (overrides: Partial<Order> = {}) => {
  const order = anOrder(overrides);
  orders.set(order.id, order);
  return order;
};

describe('POST /api/orders', () => {
  it('returns 201 with a Location and the order the order service created for the customer', async () => {
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .post('/api/orders')
      .set('authorization', alice)
      .send({ items: [{ menuItemId: 'new-york-cheesecake', quantity: 2 }], notes: 'No candles' });

    expect(res.status).toBe(201);
    const order = Order.parse(res.body);
    expect(order).toMatchObject({ id: 'ord_1', customerId: 'usr_alice' });
    expect(res.headers.location).toBe('/api/orders/ord_1');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(system.order.calls).toEqual([
      expect.objectContaining({
        endpoint: 'createOrder',
        caller: { service: 'gateway', user: { id: 'usr_alice', role: 'customer' } },
        request: {
          headers: {},
          body: {
            items: [{ menuItemId: 'new-york-cheesecake', quantity: 2 }],
            notes: 'No candles',
          },
        },
      }),
    ]);
  });

  it('passes the order service 409 problem through unchanged', async () => {
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .post('/api/orders')
      .set('authorization', alice)
      .set('x-request-id', 'sold-out-1')
      .send({ items: [{ menuItemId: 'sold-out-cheesecake', quantity: 1 }] });

    const problem = expectProblem(res, 409, 'menu-item-unavailable');
    expect(problem).toMatchObject({ detail: 'Sold out today', requestId: 'sold-out-1' });
    expect(res.headers.location).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it("passes the order service's 400 through when the body breaks the contract", async () => {
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .post('/api/orders')
      .set('authorization', alice)
      .send({ items: [{ menuItemId: 'new-york-cheesecake', quantity: 0 }], priceCents: 1 });

    const problem = expectProblem(res, 400, 'validation');
    expect(problem.errors?.map((issue) => issue.path).sort()).toEqual([
      'body',
      'body.items.0.quantity',
    ]);
    expect(system.order.calls).toEqual([]);
  });
});

describe('GET /api/orders', () => {
  it('returns the page the order service answers, passing the query on', async () => {
    givenOrder({ id: 'ord_1', status: 'PAID' });
    givenOrder({ id: 'ord_2', status: 'PENDING_PAYMENT' });
    const kai = await signIn(system.gateway, 'kai');

    const res = await request(system.gateway)
      .get('/api/orders')
      .query({ status: 'PAID', limit: 5 })
      .set('authorization', kai);

    expect(res.status).toBe(200);
    expect(OrderPage.parse(res.body).items.map((order) => order.id)).toEqual(['ord_1']);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(system.order.calls[0]).toMatchObject({
      caller: { service: 'gateway', user: { id: 'usr_kai', role: 'kitchen' } },
      request: { query: { status: 'PAID', limit: 5 } },
    });
  });
});

describe('GET /api/orders/:orderId', () => {
  it('returns the order with its latest payment and its ticket', async () => {
    const order = givenOrder({ status: 'PAID', paymentId: 'pay_2', ticketId: 'tkt_1' });
    const declined = aPayment({ id: 'pay_1', status: 'DECLINED', declineCode: 'card_declined' });
    const captured = aPayment({ id: 'pay_2', status: 'CAPTURED' });
    payments.push(declined, captured, aPayment({ id: 'pay_9', orderId: 'ord_9' }));
    tickets.push(aTicket({ id: 'tkt_1' }));
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .get(`/api/orders/${order.id}`)
      .set('authorization', alice);

    expect(res.status).toBe(200);
    expect(OrderDetails.parse(res.body)).toEqual({
      ...order,
      payment: captured,
      ticket: aTicket({ id: 'tkt_1' }),
    });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('shows the captured payment even when a declined attempt was recorded after it', async () => {
    const order = givenOrder({ status: 'PAID', paymentId: 'pay_3' });
    const captured = aPayment({ id: 'pay_3', status: 'CAPTURED' });
    const declinedLater = aPayment({
      id: 'pay_4',
      status: 'DECLINED',
      declineCode: 'card_declined',
    });
    payments.push(captured, declinedLater);
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .get(`/api/orders/${order.id}`)
      .set('authorization', alice);

    expect(OrderDetails.parse(res.body).payment).toEqual(captured);
  });

  it('asks for the order as the user, and for its payment and ticket as the gateway', async () => {
    const order = givenOrder();
    const alice = await signIn(system.gateway, 'alice');

    await request(system.gateway).get(`/api/orders/${order.id}`).set('authorization', alice);

    expect(system.order.calls[0]?.caller).toEqual({
      service: 'gateway',
      user: { id: 'usr_alice', role: 'customer' },
    });
    expect(system.payment.calls[0]).toMatchObject({
      caller: { service: 'gateway' },
      request: { query: { orderId: order.id } },
    });
    expect(system.payment.calls[0]?.caller.user).toBeUndefined();
    expect(system.kitchen.calls[0]).toMatchObject({
      caller: { service: 'gateway' },
      request: { query: { orderId: order.id } },
    });
    expect(system.kitchen.calls[0]?.caller.user).toBeUndefined();
  });

  it('returns null for a payment and ticket that do not exist yet', async () => {
    const order = givenOrder();
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .get(`/api/orders/${order.id}`)
      .set('authorization', alice);

    expect(res.status).toBe(200);
    expect(OrderDetails.parse(res.body)).toMatchObject({ payment: null, ticket: null });
  });

  const oneServiceDown = [
    {
      name: 'returns 200 with payment null when the payment service is down',
      down: 'payment',
      givenTheOtherPart: () => tickets.push(aTicket()),
      parts: () => ({ payment: null, ticket: aTicket() }),
    },
    {
      name: 'returns 200 with ticket null when the kitchen service is down',
      down: 'kitchen',
      givenTheOtherPart: () => payments.push(aPayment()),
      parts: () => ({ payment: aPayment(), ticket: null }),
    },
  ] as const;
  for (const { name, down, givenTheOtherPart, parts } of oneServiceDown) {
    it(name, async () => {
      const order = givenOrder({ status: 'PAID' });
      givenTheOtherPart();
      const alice = await signIn(system.gateway, 'alice');
      await system[down].close();

      const res = await request(system.gateway)
        .get(`/api/orders/${order.id}`)
        .set('authorization', alice);

      expect(res.status).toBe(200);
      expect(OrderDetails.parse(res.body)).toMatchObject({ id: order.id, ...parts() });
    });
  }

  it('returns 503 when the order service is down', async () => {
    const alice = await signIn(system.gateway, 'alice');
    await system.order.close();

    const res = await request(system.gateway).get('/api/orders/ord_1').set('authorization', alice);

    const problem = expectProblem(res, 503, 'service-unavailable');
    expect(problem.requestId).toBe(res.headers['x-request-id']);
    expect(system.payment.calls).toEqual([]);
  });

  it("passes the order service's 404 through for someone else's order, asking nothing more", async () => {
    const order = givenOrder({ customerId: 'usr_bob' });
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .get(`/api/orders/${order.id}`)
      .set('authorization', alice);

    const problem = expectProblem(res, 404, 'order-not-found');
    expect(problem.detail).toBe(`Order ${order.id} does not exist`);
    expect(system.payment.calls).toEqual([]);
    expect(system.kitchen.calls).toEqual([]);
  });

  it('echoes X-Request-Id and sends it on to every service it asks', async () => {
    const order = givenOrder();
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .get(`/api/orders/${order.id}`)
      .set('authorization', alice)
      .set('x-request-id', 'req-cheesecake-42');

    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe('req-cheesecake-42');
    expect(
      [system.order, system.payment, system.kitchen].map((stub) => stub.calls[0]?.requestId),
    ).toEqual(['req-cheesecake-42', 'req-cheesecake-42', 'req-cheesecake-42']);
  });
});

describe('POST /api/orders/:orderId/payment', () => {
  it('returns the paid order the order service answers, the Idempotency-Key passed on', async () => {
    const order = givenOrder();
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .post(`/api/orders/${order.id}/payment`)
      .set('authorization', alice)
      .set('idempotency-key', 'pay-once')
      .send({ paymentMethod: 'tok_visa' });

    expect(res.status).toBe(200);
    expect(Order.parse(res.body)).toMatchObject({ id: order.id, status: 'PAID' });
    expect(system.order.calls[0]?.request).toEqual({
      params: { orderId: order.id },
      headers: { 'idempotency-key': 'pay-once' },
      body: { paymentMethod: 'tok_visa' },
    });
  });

  it('passes the 402 problem of a declined card through with its extensions', async () => {
    const order = givenOrder();
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .post(`/api/orders/${order.id}/payment`)
      .set('authorization', alice)
      .send({ paymentMethod: 'tok_chargeDeclined' });

    const problem = expectProblem(res, 402, 'payment-declined');
    expect(problem).toMatchObject({ declineCode: 'card_declined' });
  });
});

describe('POST /api/orders/:orderId/cancel', () => {
  it('passes the 409 problem for an order too far along through unchanged', async () => {
    const order = givenOrder({ status: 'PREPARING' });
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .post(`/api/orders/${order.id}/cancel`)
      .set('authorization', alice);

    const problem = expectProblem(res, 409, 'invalid-order-state');
    expect(problem.detail).toBe(`Order ${order.id} is PREPARING`);
    expect(problem.requestId).toBe(res.headers['x-request-id']);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('returns the cancelled order', async () => {
    const order = givenOrder();
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .post(`/api/orders/${order.id}/cancel`)
      .set('authorization', alice);

    expect(res.status).toBe(200);
    expect(Order.parse(res.body).status).toBe('CANCELLED');
  });
});
