import type { Database } from '@cheesecake/service-kit';
import { endLongLivedConnections } from '@cheesecake/service-kit';
import {
  expectProblem,
  type RunningServer,
  startServer,
  type TestCredential,
} from '@cheesecake/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asCustomer,
  asStaff,
  cancelOrder,
  createTestApp,
  getEventStream,
  newCustomerId,
  payOrder,
  placeOrder,
  type ReceivedEvent,
  reportTicket,
  useOrderService,
} from './support.js';

const service = useOrderService({ payment: true });
let server: RunningServer;

beforeAll(async () => {
  server = await startServer(service.app);
});
afterAll(() => server.close());

const statusesOf = (events: ReceivedEvent[]) =>
  events.map((event) => [event.data.orderId, event.data.status]);

/** The ids of events must only grow: each is a number the client resumes after. */
const expectIncreasingIds = (events: ReceivedEvent[]) => {
  const ids = events.map((event) => Number(event.id));
  expect(ids).toEqual([...ids].sort((a, b) => a - b));
  expect(new Set(ids).size).toBe(ids.length);
};

describe('GET /orders/:orderId/events', () => {
  const eventsOf = async (orderId: string, credential: TestCredential, lastEventId?: string) =>
    getEventStream(`${server.url}/orders/${orderId}/events`, {
      authorization: credential.for('GET', `/orders/${orderId}/events`),
      ...(lastEventId !== undefined && { 'last-event-id': lastEventId }),
    });

  it('sends the current status first, then a change made after subscribing', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    await payOrder(service.app, customer, placed.id, 'tok_visa');

    const stream = await eventsOf(placed.id, asCustomer(customer));
    const current = await stream.next();
    await reportTicket(service.app, { orderId: placed.id, status: 'PREPARING' });
    const change = await stream.next();
    stream.disconnect();

    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(current).toMatchObject({
      event: 'order.status',
      id: expect.stringMatching(/^\d+$/),
      data: {
        type: 'order.status',
        orderId: placed.id,
        orderNumber: placed.number,
        status: 'PAID',
      },
    });
    expect(change).toMatchObject({ event: 'order.status', data: { status: 'PREPARING' } });
    expect(Number(change.id)).toBeGreaterThan(Number(current.id));
  });

  it('ends the stream once the order is READY', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    await payOrder(service.app, customer, placed.id, 'tok_visa');
    const stream = await eventsOf(placed.id, asCustomer(customer));
    await stream.next();

    await reportTicket(service.app, { orderId: placed.id, status: 'PREPARING' });
    await reportTicket(service.app, { orderId: placed.id, status: 'READY' });
    const rest = await stream.rest();

    expect(statusesOf(rest)).toEqual([
      [placed.id, 'PREPARING'],
      [placed.id, 'READY'],
    ]);
  });

  it('sends the final status of an order that has one, and ends', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    await cancelOrder(service.app, customer, placed.id);

    const stream = await eventsOf(placed.id, asStaff('kitchen'));
    const events = await stream.rest();

    expect(statusesOf(events)).toEqual([[placed.id, 'CANCELLED']]);
  });

  it('resumes after Last-Event-ID with exactly the changes missed, for the kitchen too', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    const first = await eventsOf(placed.id, asCustomer(customer));
    const seen = await first.next();
    first.disconnect();
    await payOrder(service.app, customer, placed.id, 'tok_visa');
    await reportTicket(service.app, { orderId: placed.id, status: 'PREPARING' });

    const resumed = await eventsOf(placed.id, asStaff('kitchen'), seen.id);
    const missed = [await resumed.next(), await resumed.next()];
    await reportTicket(service.app, { orderId: placed.id, status: 'READY' });
    const rest = await resumed.rest();

    expect(seen.data.status).toBe('PENDING_PAYMENT');
    expect(statusesOf([...missed, ...rest])).toEqual([
      [placed.id, 'PAID'],
      [placed.id, 'PREPARING'],
      [placed.id, 'READY'],
    ]);
    expectIncreasingIds([seen, ...missed, ...rest]);
  });

  it('sends a whole missed backlog up to the final status, then ends', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    await payOrder(service.app, customer, placed.id, 'tok_visa');
    await reportTicket(service.app, { orderId: placed.id, status: 'PREPARING' });
    await reportTicket(service.app, { orderId: placed.id, status: 'READY' });

    const resumed = await eventsOf(placed.id, asCustomer(customer), '0');
    const events = await resumed.rest();

    expect(statusesOf(events)).toEqual([
      [placed.id, 'PENDING_PAYMENT'],
      [placed.id, 'PAID'],
      [placed.id, 'PREPARING'],
      [placed.id, 'READY'],
    ]);
    expectIncreasingIds(events);
  });

  it('answers 204 when resumed after the final status, so an EventSource stops reconnecting', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    await cancelOrder(service.app, customer, placed.id);
    const [cancelled] = await (await eventsOf(placed.id, asCustomer(customer))).rest();

    const resumed = await eventsOf(placed.id, asCustomer(customer), cancelled?.id);
    const rest = await resumed.rest();

    expect(resumed.status).toBe(204);
    expect(rest).toEqual([]);
  });

  it('returns 400 problem+json for a malformed Last-Event-ID, before any stream', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);

    const res = await eventsOf(placed.id, asCustomer(customer), 'yesterday');

    const problem = expectProblem(res, 400, 'validation');
    expect(problem.errors).toEqual([
      { path: 'headers.last-event-id', message: expect.any(String) },
    ]);
  });

  it("returns 404 for someone else's order and for an unknown one", async () => {
    const placed = await placeOrder(service.app, newCustomerId());

    const stranger = await eventsOf(placed.id, asCustomer(newCustomerId()));
    const unknown = await eventsOf('ord_unknown', asStaff('kitchen'));

    expectProblem(stranger, 404, 'order-not-found');
    expectProblem(unknown, 404, 'order-not-found');
  });

  it('ends on graceful shutdown', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    const { app: stopping } = createTestApp(service.db);
    const stoppingServer = await startServer(stopping);
    const stream = await getEventStream(`${stoppingServer.url}/orders/${placed.id}/events`, {
      authorization: asCustomer(customer).for('GET', `/orders/${placed.id}/events`),
    });
    await stream.next();

    endLongLivedConnections(stopping);
    const rest = await stream.rest();
    await stoppingServer.close();

    expect(rest).toEqual([]);
  });

  it('catches up from the table when the listener reconnects after missing notifications', async () => {
    const customer = newCustomerId();
    const placed = await placeOrder(service.app, customer);
    let connected = true;
    let reconnect: () => void = () => {};
    const flaky: Database = {
      ...service.db,
      listen: (channel, onNotification, onReconnect) => {
        reconnect = onReconnect ?? reconnect;
        return service.db.listen(channel, (payload) => {
          if (connected) onNotification(payload);
        });
      },
    };
    const { app: listening } = createTestApp(flaky, { paymentUrl: service.payment.url });
    const listeningServer = await startServer(listening);
    const stream = await getEventStream(`${listeningServer.url}/orders/${placed.id}/events`, {
      authorization: asCustomer(customer).for('GET', `/orders/${placed.id}/events`),
    });
    await stream.next();

    connected = false;
    await payOrder(service.app, customer, placed.id, 'tok_visa');
    await reportTicket(service.app, { orderId: placed.id, status: 'PREPARING' });
    connected = true;
    reconnect();
    const missed = [await stream.next(), await stream.next()];
    stream.disconnect();
    await listeningServer.close();

    expect(statusesOf(missed)).toEqual([
      [placed.id, 'PAID'],
      [placed.id, 'PREPARING'],
    ]);
  });
});

describe('GET /order-events', () => {
  const allEvents = async (credential: TestCredential, lastEventId?: string) =>
    getEventStream(`${server.url}/order-events`, {
      authorization: credential.for('GET', '/order-events'),
      ...(lastEventId !== undefined && { 'last-event-id': lastEventId }),
    });

  it('sends the kitchen every status change of every order from now on', async () => {
    const stream = await allEvents(asStaff('kitchen'));
    const alice = newCustomerId();
    const bob = newCustomerId();

    const first = await placeOrder(service.app, alice);
    const second = await placeOrder(service.app, bob);
    await payOrder(service.app, alice, first.id, 'tok_visa');
    await cancelOrder(service.app, bob, second.id);
    const orders = [first.id, second.id];
    const events = [
      await stream.nextOf(orders),
      await stream.nextOf(orders),
      await stream.nextOf(orders),
      await stream.nextOf(orders),
    ];
    stream.disconnect();

    expect(statusesOf(events)).toEqual([
      [first.id, 'PENDING_PAYMENT'],
      [second.id, 'PENDING_PAYMENT'],
      [first.id, 'PAID'],
      [second.id, 'CANCELLED'],
    ]);
    expectIncreasingIds(events);
  });

  it('resumes after Last-Event-ID with every change of every order since', async () => {
    const stream = await allEvents(asStaff('admin'));
    const customer = newCustomerId();
    const first = await placeOrder(service.app, customer);
    const seen = await stream.nextOf([first.id]);
    stream.disconnect();
    const second = await placeOrder(service.app, customer);
    await payOrder(service.app, customer, first.id, 'tok_visa');

    const resumed = await allEvents(asStaff('admin'), seen.id);
    const orders = [first.id, second.id];
    const missed = [await resumed.nextOf(orders), await resumed.nextOf(orders)];
    resumed.disconnect();

    expect(statusesOf(missed)).toEqual([
      [second.id, 'PENDING_PAYMENT'],
      [first.id, 'PAID'],
    ]);
  });

  it('returns 403 to a customer', async () => {
    const res = await allEvents(asCustomer(newCustomerId()));

    expectProblem(res, 403, 'forbidden');
  });
});
