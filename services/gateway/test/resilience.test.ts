import { Menu, OrderDetails } from '@cheesecake/contracts';
import { DEFAULT_RESILIENCE } from '@cheesecake/service-kit';
import {
  expectProblem,
  type RunningServer,
  startServer,
  until,
} from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { aMenu, anOrder, signIn, startSystem, type TestSystem } from './support.js';

let system: TestSystem;
let gateway: RunningServer | undefined;

afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  await system.close();
});

describe('a service that keeps failing', () => {
  it('returns 503 with Retry-After at once, without calling the service, once its circuit opened', async () => {
    system = await startSystem({
      order: {
        listOrders: async () => {
          throw new Error('the order database is down');
        },
      },
    });
    const alice = await signIn(system.gateway, 'alice');
    // The default breaker opens after five failures in a row.
    for (let failure = 0; failure < 5; failure += 1) {
      const res = await request(system.gateway).get('/api/orders').set('authorization', alice);
      expect(res.status).toBe(500);
    }

    const res = await request(system.gateway).get('/api/orders').set('authorization', alice);

    const problem = expectProblem(res, 503, 'service-unavailable');
    expect(problem.detail).toMatch(/order service/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(system.order.calls).toHaveLength(5);
  });
});

describe('a payment service that stops answering', () => {
  it('does not hold up the menu, and refuses further payment calls at once once its bulkhead is full', async () => {
    const held: (() => void)[] = [];
    let answering = false;
    system = await startSystem(
      {
        order: {
          getMenu: async () => ({ status: 200, body: aMenu() }),
          getOrder: async () => ({ status: 200, body: anOrder() }),
        },
        payment: {
          listPayments: async () => {
            if (!answering) await new Promise<void>((resolve) => held.push(resolve));
            return { status: 200, body: { items: [] } };
          },
        },
        kitchen: { listTickets: async () => ({ status: 200, body: { items: [] } }) },
      },
      // No call may time out while the bulkhead fills, however slowly the machine sends them;
      // one user fills it here, far past the share of it a user gets by default.
      {
        MENU_CACHE_TTL_SECONDS: '0',
        RATE_LIMIT_PER_MINUTE: '1000',
        REQUESTS_IN_PROGRESS_PER_USER: '1000',
        DOWNSTREAM_TIMEOUT_MS: '600000',
      },
    );
    gateway = await startServer(system.gateway);
    const { url } = gateway;
    const alice = await signIn(system.gateway, 'alice');
    const orderDetails = () => request(url).get('/api/orders/ord_1').set('authorization', alice);
    // Calls in progress and calls waiting for a place fill the default bulkhead; settled from
    // the start, so none rejects unhandled if the test fails before the end.
    const { maxConcurrent, maxQueued } = DEFAULT_RESILIENCE;
    const blocked = Promise.allSettled(
      Array.from({ length: maxConcurrent + maxQueued }, () => orderDetails().then((res) => res)),
    );
    let menu: request.Response;
    let refused: request.Response;
    let callsWhileFull: number;
    try {
      await until(() => {
        const { inProgress, waiting } = system.downstreams.payment.policy.load;
        return (
          held.length === maxConcurrent && inProgress === maxConcurrent && waiting === maxQueued
        );
      });

      menu = await request(url).get('/api/menu');
      refused = await orderDetails();
      callsWhileFull = system.payment.calls.length;
    } finally {
      answering = true;
      for (const release of held.splice(0)) release();
    }

    expect(menu.status).toBe(200);
    expect(Menu.parse(menu.body)).toEqual(aMenu());
    expect(refused.status).toBe(200);
    expect(OrderDetails.parse(refused.body).payment).toBeNull();
    expect(callsWhileFull).toBe(maxConcurrent);
    const answers = await blocked;
    expect(answers.map((answer) => answer.status === 'fulfilled' && answer.value.status)).toEqual(
      Array(maxConcurrent + maxQueued).fill(200),
    );
    expect(system.payment.calls).toHaveLength(maxConcurrent + maxQueued);
  });
});
