import {
  LiveServerMessage,
  OrderDetails,
  OrderPage,
  type TokenResponse,
} from '@cheesecake/contracts';
import { UpstreamUnavailableError } from '@cheesecake/service-kit';
import {
  expectProblem,
  type FailingUrl,
  failingUrl,
  NETWORK_FAILURES,
  type NetworkFailure,
  type RunningServer,
  startServer,
} from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { DownstreamName } from '../src/downstream/downstreams.js';
import {
  aMenu,
  anOrder,
  aPayment,
  aTicket,
  signIn,
  startSystem,
  type TestSystem,
} from './support.js';

const URL_VARIABLES: Record<DownstreamName, string> = {
  order: 'ORDER_SERVICE_URL',
  payment: 'PAYMENT_SERVICE_URL',
  kitchen: 'KITCHEN_SERVICE_URL',
};

interface Route {
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  /** Who calls it; anonymous when unset. */
  user?: 'alice' | 'kai' | 'ada';
  body?: object;
  accept?: string;
}

const NO_FAULTS = { failureRate: 0, latencyMs: 0 };

/** Every public route that needs the service, by the service it needs. */
const ROUTES: Record<DownstreamName, Route[]> = {
  order: [
    {
      method: 'POST',
      path: '/api/orders',
      user: 'alice',
      body: { items: [{ menuItemId: 'new-york-cheesecake', quantity: 1 }] },
    },
    { method: 'GET', path: '/api/orders', user: 'alice' },
    { method: 'GET', path: '/api/orders/ord_1', user: 'alice' },
    {
      method: 'POST',
      path: '/api/orders/ord_1/payment',
      user: 'alice',
      body: { paymentMethod: 'tok_visa' },
    },
    { method: 'POST', path: '/api/orders/ord_1/cancel', user: 'alice' },
    { method: 'GET', path: '/api/orders/ord_1/timeline', user: 'alice' },
    {
      method: 'GET',
      path: '/api/orders/ord_1/events',
      user: 'alice',
      accept: 'text/event-stream',
    },
    { method: 'GET', path: '/api/menu' },
    { method: 'GET', path: '/api/ops/dead-letters', user: 'ada' },
    { method: 'POST', path: '/api/ops/dead-letters/order-msg_1/retry', user: 'ada' },
    { method: 'PUT', path: '/api/ops/faults/order', user: 'ada', body: NO_FAULTS },
  ],
  payment: [{ method: 'PUT', path: '/api/ops/faults/payment', user: 'ada', body: NO_FAULTS }],
  kitchen: [
    { method: 'GET', path: '/api/kitchen/tickets', user: 'kai' },
    { method: 'POST', path: '/api/kitchen/tickets/tkt_1/start', user: 'kai' },
    { method: 'POST', path: '/api/kitchen/tickets/tkt_1/ready', user: 'kai' },
    {
      method: 'PUT',
      path: '/api/kitchen/stock/new-york-cheesecake',
      user: 'kai',
      body: { quantity: 5 },
    },
    { method: 'GET', path: '/api/ops/dead-letters', user: 'ada' },
    { method: 'POST', path: '/api/ops/dead-letters/kitchen-msg_1/retry', user: 'ada' },
    { method: 'PUT', path: '/api/ops/faults/kitchen', user: 'ada', body: NO_FAULTS },
  ],
};

const CASES = (Object.entries(ROUTES) as [DownstreamName, Route[]][]).flatMap(([service, routes]) =>
  routes.map((route) => ({ service, ...route })),
);

let system: TestSystem | undefined;
let gateway: RunningServer | undefined;
let failing: FailingUrl[] = [];

afterEach(async () => {
  system?.liveUpdates.close();
  await gateway?.close();
  await system?.close();
  await Promise.all(failing.map((downstream) => downstream.close()));
  system = undefined;
  gateway = undefined;
  failing = [];
});

/**
 * The gateway in front of healthy stubs, with the given services failing as `failure` says,
 * and `timeoutMs` as its budget for every downstream call.
 */
async function startWithFailing(
  { failure, timeoutMs }: { failure: NetworkFailure; timeoutMs: number },
  services: DownstreamName[],
): Promise<TestSystem> {
  const env: Record<string, string> = { DOWNSTREAM_TIMEOUT_MS: String(timeoutMs) };
  for (const service of services) {
    const downstream = await failingUrl(failure, service);
    failing.push(downstream);
    env[URL_VARIABLES[service]] = downstream.url;
  }
  system = await startSystem(
    {
      order: {
        getMenu: async () => ({ status: 200, body: aMenu() }),
        getOrder: async () => ({ status: 200, body: anOrder() }),
        listOrders: async () => ({ status: 200, body: { items: [anOrder()], nextCursor: null } }),
      },
      payment: { listPayments: async () => ({ status: 200, body: { items: [aPayment()] } }) },
      kitchen: { listTickets: async () => ({ status: 200, body: { items: [aTicket()] } }) },
      ops: { listDeadLetters: async () => ({ status: 200, body: { items: [] } }) },
    },
    env,
  );
  return system;
}

function send(gatewayApp: TestSystem['gateway'], route: Route, authorization?: string) {
  const method = route.method.toLowerCase() as 'get' | 'post' | 'put';
  let call = request(gatewayApp)[method](route.path);
  if (authorization) call = call.set('authorization', authorization);
  if (route.accept) call = call.set('accept', route.accept);
  return route.body ? call.send(route.body) : call;
}

describe.each(NETWORK_FAILURES)(
  'a downstream that fails: $failure',
  ({ failure, timeoutMs, status, code, reason }) => {
    it.each(CASES)(
      `$method $path answers ${status} naming the $service service`,
      async ({ service, ...route }) => {
        const { gateway: app } = await startWithFailing({ failure, timeoutMs }, [service]);
        const authorization = route.user && (await signIn(app, route.user));

        const res = await send(app, route, authorization);

        const problem = expectProblem(res, status, code);
        expect(res.headers['x-failed-service']).toBe(service);
        expect(problem.service).toBe(service);
        expect(problem.detail).toMatch(new RegExp(`^The ${service} service `));
        expect(problem.detail).toMatch(reason);
      },
    );

    it.each(['payment', 'kitchen'] as const)(
      'GET /api/orders/{id} answers 200 with the %s part null',
      async (service) => {
        const { gateway: app } = await startWithFailing({ failure, timeoutMs }, [service]);
        const alice = await signIn(app, 'alice');

        const res = await request(app).get('/api/orders/ord_1').set('authorization', alice);

        expect(res.status).toBe(200);
        const details = OrderDetails.parse(res.body);
        expect(details.id).toBe('ord_1');
        expect(details.payment).toEqual(service === 'payment' ? null : aPayment());
        expect(details.ticket).toEqual(service === 'kitchen' ? null : aTicket());
      },
    );

    it('serves the menu and the order routes while the payment and kitchen services fail', async () => {
      const { gateway: app } = await startWithFailing({ failure, timeoutMs }, [
        'payment',
        'kitchen',
      ]);
      const alice = await signIn(app, 'alice');

      const menu = await request(app).get('/api/menu');
      const orders = await request(app).get('/api/orders').set('authorization', alice);

      expect(menu.status).toBe(200);
      expect(OrderPage.parse(orders.body).items).toEqual([anOrder()]);
    });

    it('signs users in with every downstream failing: login calls none of them', async () => {
      const { gateway: app } = await startWithFailing({ failure, timeoutMs }, [
        'order',
        'payment',
        'kitchen',
      ]);

      const res = await request(app)
        .post('/api/auth/token')
        .send({ username: 'alice', password: 'cheesecake' });

      expect(res.status).toBe(200);
    });

    it('tells a WebSocket subscriber that the order service cannot be reached, and keeps serving the socket', async () => {
      const { gateway: app, liveUpdates } = await startWithFailing({ failure, timeoutMs }, [
        'order',
      ]);
      gateway = await startServer(app);
      gateway.server.on('upgrade', liveUpdates.handleUpgrade);
      const token = (
        (
          await request(app)
            .post('/api/auth/token')
            .send({ username: 'alice', password: 'cheesecake' })
        ).body as TokenResponse
      ).access_token;
      const ws = new WebSocket(`${gateway.url.replace('http', 'ws')}/api/ws?access_token=${token}`);
      const messages: LiveServerMessage[] = [];
      const arrivals: Array<() => void> = [];
      ws.on('message', (data) => {
        messages.push(LiveServerMessage.parse(JSON.parse(data.toString())));
        for (const wake of arrivals.splice(0)) wake();
      });
      const received = async (count: number) => {
        while (messages.length < count) await new Promise<void>((wake) => arrivals.push(wake));
        return messages.slice(0, count);
      };
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));

      ws.send(JSON.stringify({ type: 'subscribe', orderId: 'ord_1' }));
      const [refused] = await received(1);
      // Still open and answering: a second subscription is refused the same way.
      ws.send(JSON.stringify({ type: 'subscribe', orderId: 'ord_1' }));
      const [, again] = await received(2);
      ws.close();

      expect(refused).toMatchObject({ type: 'error', orderId: 'ord_1' });
      const problem = refused?.type === 'error' ? refused.problem : undefined;
      expect(problem).toMatchObject({ status, type: `urn:cheesecake:problem:${code}` });
      expect(problem?.detail).toMatch(/^The order service /);
      expect(problem?.detail).toMatch(reason);
      // By now the breaker may have opened, which is another way of naming the same service.
      expect(again).toMatchObject({ type: 'error', orderId: 'ord_1' });
      expect(again?.type === 'error' && again.problem.detail).toMatch(/^The order service /);
    });
  },
);

describe("a service's answer about its own downstream's failure", () => {
  it('reaches the client with the X-Failed-Service the service set', async () => {
    system = await startSystem({
      order: {
        payOrder: async () => {
          throw new UpstreamUnavailableError('payment', 'ENOTFOUND');
        },
      },
    });
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .post('/api/orders/ord_1/payment')
      .set('authorization', alice)
      .send({ paymentMethod: 'tok_visa' });

    const problem = expectProblem(res, 503, 'service-unavailable');
    expect(res.headers['x-failed-service']).toBe('payment');
    expect(problem.detail).toBe('The payment service is unavailable (ENOTFOUND)');
  });

  it('names the service itself when its 5xx names no other', async () => {
    system = await startSystem({
      kitchen: {
        listTickets: async () => {
          throw new Error('the kitchen database is down');
        },
      },
    });
    const kai = await signIn(system.gateway, 'kai');

    const res = await request(system.gateway).get('/api/kitchen/tickets').set('authorization', kai);

    expectProblem(res, 500, 'internal');
    expect(res.headers['x-failed-service']).toBe('kitchen');
  });
});
