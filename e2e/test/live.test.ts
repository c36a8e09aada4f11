import { Order, type OrderStatus, OrderTimeline } from '@cheesecake/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, expectBody, expectProblem, GatewayClient } from './support/client.js';
import {
  followWithEventSource,
  LiveClient,
  openEventStream,
  readEventStream,
  refusedHandshakeStatus,
} from './support/live.js';
import { type Stack, startStack } from './support/stack.js';

// The kitchen works by itself, fast, so an order goes from paid to READY in about a second.
let stack: Stack;
let alice: GatewayClient;
let bob: GatewayClient;
let kai: GatewayClient;

beforeAll(async () => {
  stack = await startStack({ KITCHEN_START_DELAY_MS: '200', KITCHEN_PREPARATION_MS: '500' });
  const anonymous = new GatewayClient(stack.gatewayUrl);
  [alice, bob, kai] = await Promise.all([
    anonymous.as('alice'),
    anonymous.as('bob'),
    anonymous.as('kai'),
  ]);
});
afterAll(() => stack?.stop());

const cheesecake = { items: [{ menuItemId: 'basque-burnt-cheesecake', quantity: 1 }] };
const THE_WHOLE_WAY: OrderStatus[] = ['PENDING_PAYMENT', 'PAID', 'PREPARING', 'READY'];

async function placeOrder(customer: GatewayClient): Promise<Order> {
  return expectBody(await customer.post('/api/orders', cheesecake), 201, Order);
}

async function pay(customer: GatewayClient, order: Order, requestId?: string) {
  return customer.send(
    'POST',
    `/api/orders/${order.id}/payment`,
    { paymentMethod: 'tok_visa' },
    requestId ? { 'x-request-id': requestId } : {},
  );
}

const readyIn = (customer: GatewayClient, order: Order) =>
  eventually(
    () => customer.get(`/api/orders/${order.id}`),
    (answer) => (answer.body as Order).status === 'READY',
  );

describe('GET /api/orders/{id}/events', () => {
  it('sends the current status first, then every change, to an EventSource until READY', async () => {
    const order = await placeOrder(alice);

    const events = await followWithEventSource(
      `${stack.gatewayUrl}/api/orders/${order.id}/events`,
      alice.token ?? '',
      'READY',
      () => void pay(alice, order),
    );

    expect(events.map(({ event }) => event.status)).toEqual(THE_WHOLE_WAY);
    expect(events.every(({ event }) => event.orderId === order.id)).toBe(true);
    const ids = events.map(({ id }) => Number(id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('resumes after Last-Event-ID with exactly the changes missed, and ends at the final status', async () => {
    const order = await placeOrder(alice);
    expect((await pay(alice, order)).status).toBe(200);
    await readyIn(alice, order);
    const all = await readEventStream(`${stack.gatewayUrl}/api/orders/${order.id}/events`, {
      authorization: `Bearer ${alice.token}`,
      'last-event-id': '0',
    });
    const paid = all.events.find(({ event }) => event.status === 'PAID');

    const resumed = await readEventStream(`${stack.gatewayUrl}/api/orders/${order.id}/events`, {
      authorization: `Bearer ${alice.token}`,
      'last-event-id': paid?.id ?? '',
    });

    expect(all.events.map(({ event }) => event.status)).toEqual(THE_WHOLE_WAY);
    expect(resumed.status).toBe(200);
    expect(resumed.events.map(({ event }) => event.status)).toEqual(['PREPARING', 'READY']);
  });

  it("answers 404 to another customer's order and 401 without a token", async () => {
    const order = await placeOrder(alice);

    const asBob = await bob.get(`/api/orders/${order.id}/events`);
    const anonymous = await new GatewayClient(stack.gatewayUrl).get(
      `/api/orders/${order.id}/events`,
    );

    expectProblem(asBob, 404, 'order-not-found');
    expectProblem(anonymous, 401, 'unauthenticated');
  });
});

describe('GET /api/ws', () => {
  it('sends an order its owner subscribed to, status by status, until READY', async () => {
    const order = await placeOrder(alice);
    const client = await LiveClient.connect(stack.gatewayUrl, alice.token ?? '');

    client.send({ type: 'subscribe', orderId: order.id });
    await client.until((message) => message.type === 'order.status');
    expect((await pay(alice, order)).status).toBe(200);
    const messages = await client.until(
      (message) => message.type === 'order.status' && message.status === 'READY',
    );
    client.close();

    expect(messages[0]).toEqual({ type: 'subscribed', orderId: order.id });
    expect(
      messages.slice(1).map((message) => message.type === 'order.status' && message.status),
    ).toEqual(THE_WHOLE_WAY);
  });

  it('lets the kitchen follow every order with "*", and keeps customers to their own', async () => {
    const kitchen = await LiveClient.connect(stack.gatewayUrl, kai.token ?? '');
    const nosy = await LiveClient.connect(stack.gatewayUrl, bob.token ?? '');
    kitchen.send({ type: 'subscribe', orderId: '*' });
    await kitchen.until((message) => message.type === 'subscribed');
    const alicesOrder = await placeOrder(alice);
    const bobsOrder = await placeOrder(bob);

    nosy.send({ type: 'subscribe', orderId: alicesOrder.id });
    nosy.send({ type: 'subscribe', orderId: '*' });
    await Promise.all([pay(alice, alicesOrder), pay(bob, bobsOrder)]);
    const seen = await kitchen.until(
      (message) =>
        message.type === 'order.status' &&
        message.orderId === bobsOrder.id &&
        message.status === 'READY',
    );
    await kitchen.until(
      (message) =>
        message.type === 'order.status' &&
        message.orderId === alicesOrder.id &&
        message.status === 'READY',
    );
    const refusals = await nosy.until(
      () => nosy.messages.filter((message) => message.type === 'error').length === 2,
    );
    kitchen.close();
    nosy.close();

    const statusesOf = (orderId: string) =>
      seen.flatMap((message) =>
        message.type === 'order.status' && message.orderId === orderId ? [message.status] : [],
      );
    expect(statusesOf(bobsOrder.id)).toEqual(THE_WHOLE_WAY);
    // The 403 is the gateway's own answer; the 404 comes from the order service, later.
    expect(refusals).toHaveLength(2);
    expect(refusals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'error',
          orderId: alicesOrder.id,
          problem: expect.objectContaining({ status: 404 }),
        }),
        expect.objectContaining({
          type: 'error',
          orderId: '*',
          problem: expect.objectContaining({ status: 403 }),
        }),
      ]),
    );
  });

  it('refuses a handshake without a token, or with a forged one, with 401', async () => {
    const url = `${stack.gatewayUrl.replace(/^http/, 'ws')}/api/ws`;

    const withoutToken = await refusedHandshakeStatus(url);
    const forged = await refusedHandshakeStatus(
      `${url}?access_token=${alice.token?.slice(0, -4)}AAAA`,
    );

    expect([withoutToken, forged]).toEqual([401, 401]);
  });
});

describe('GET /api/orders/{id}/timeline', () => {
  it('tells the saga step by step, each with its time and the request id that caused it', async () => {
    const order = await placeOrder(alice);
    const declined = await alice.post(`/api/orders/${order.id}/payment`, {
      paymentMethod: 'tok_chargeDeclined',
    });
    expect(declined.status).toBe(402);
    const payRequestId = `timeline-pay-${Date.now()}`;
    expect((await pay(alice, order, payRequestId)).status).toBe(200);
    await readyIn(alice, order);

    const timeline = expectBody(
      await alice.get(`/api/orders/${order.id}/timeline`),
      200,
      OrderTimeline,
    );

    expect(timeline.orderId).toBe(order.id);
    const steps = timeline.steps.map((step) =>
      step.step === 'kitchen.status' ? `kitchen.status:${step.ticketStatus}` : step.step,
    );
    expect(steps.slice(0, 3)).toEqual(['order.placed', 'payment.declined', 'payment.captured']);
    // The kitchen's reports race the relay's note of the delivery; each is there once.
    expect(steps.slice(3).sort()).toEqual([
      'kitchen.status:PREPARING',
      'kitchen.status:QUEUED',
      'kitchen.status:READY',
      'ticket.delivered',
    ]);
    const captured = timeline.steps.find((step) => step.step === 'payment.captured');
    expect(captured?.requestId).toBe(payRequestId);
    expect(timeline.steps.find((step) => step.step === 'ticket.delivered')?.requestId).toBe(
      payRequestId,
    );
    expect(timeline.steps.every((step) => step.requestId)).toBe(true);
    const times = timeline.steps.map((step) => Date.parse(step.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("shows the kitchen any order's timeline and answers 404 to another customer", async () => {
    const order = await placeOrder(alice);

    const asKitchen = await kai.get(`/api/orders/${order.id}/timeline`);
    const asBob = await bob.get(`/api/orders/${order.id}/timeline`);

    expect(expectBody(asKitchen, 200, OrderTimeline).steps.map((step) => step.step)).toEqual([
      'order.placed',
    ]);
    expectProblem(asBob, 404, 'order-not-found');
  });
});

describe.runIf(process.env.E2E_COMPOSE_SCALE?.includes('order='))(
  'live status across order-service replicas',
  () => {
    it('reaches streams held by every replica, whichever replica made the change', async () => {
      const order = await placeOrder(alice);
      const url = `${stack.gatewayUrl}/api/orders/${order.id}/events`;
      const marker = `replicas-${Date.now()}`;

      const followers = [0, 1, 2, 3].map((n) =>
        openEventStream(url, {
          authorization: `Bearer ${alice.token}`,
          'x-request-id': `${marker}-${n}`,
        }),
      );
      // Each stream's first event is the current status: once it came, the stream is held.
      await Promise.all(followers.map((follower) => follower.firstEvent));

      expect((await pay(alice, order)).status).toBe(200);
      const streams = await Promise.all(followers.map((follower) => follower.ended));

      expect(await stack.replicasThatLogged('order', marker)).toHaveLength(2);
      for (const stream of streams) {
        expect(stream.events.map(({ event }) => event.status)).toEqual(THE_WHOLE_WAY);
      }
    });
  },
);
