import {
  DeadLetter,
  DeadLetterList,
  FaultSettings,
  type FaultyService,
  OutboxBacklogList,
  OutboxDeadLetter,
  opsApi,
  problemTypes,
} from '@cheesecake/contracts';
import { type Caller, handle, ProblemError } from '@cheesecake/service-kit';
import {
  expectProblem,
  type RunningServer,
  startStubService,
} from '@cheesecake/service-kit/testing';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { loadGatewayConfig } from '../src/config.js';
import { gatewayDeps, signIn } from './support.js';

/** What one service's operations API received. */
interface OpsCall {
  endpoint: string;
  caller: Caller;
  request: unknown;
}

const deadLetter = (service: 'order' | 'kitchen', messageId: string, createdAt: string) =>
  DeadLetter.parse({
    id: `${service}-${messageId}`,
    service,
    messageId,
    destination: service === 'order' ? 'kitchen.create-ticket' : 'order.ticket-status',
    payload: { orderId: 'ord_1' },
    attempts: 100,
    lastError: 'answered 503',
    requestId: 'req-1',
    createdAt,
  });

const deadLetters = {
  order: [
    deadLetter('order', 'msg_o1', '2025-01-02T12:00:00.000Z'),
    deadLetter('order', 'msg_o2', '2025-01-02T12:03:00.000Z'),
  ],
  kitchen: [deadLetter('kitchen', 'msg_k1', '2025-01-02T12:01:00.000Z')],
  payment: [],
};

let calls: OpsCall[];
let stubs: RunningServer[];
let gateway: Express;

/** A service's operations API: its dead letters as given, and faults it keeps. */
function startOpsStub(service: FaultyService) {
  return startStubService(service, (router) => {
    handle(router, opsApi.getOutboxBacklog, async (request, { caller }) => {
      calls.push({ endpoint: `${service}.getOutboxBacklog`, caller, request });
      const pending = service === 'order' ? 3 : 1;
      return {
        status: 200,
        body: { pending, dead: deadLetters[service].length, oldestPendingSeconds: pending * 1.5 },
      };
    });
    handle(router, opsApi.listDeadLetters, async (request, { caller }) => {
      calls.push({ endpoint: `${service}.listDeadLetters`, caller, request });
      // As the service keeps them: under its own message ids, without the public id.
      const items = deadLetters[service].map((letter) => OutboxDeadLetter.parse(letter));
      return { status: 200, body: { items } };
    });
    handle(router, opsApi.retryDeadLetter, async (request, { caller }) => {
      calls.push({ endpoint: `${service}.retryDeadLetter`, caller, request });
      const found = deadLetters[service].find(
        (item) => item.messageId === request.params.messageId,
      );
      if (!found) throw new ProblemError(problemTypes.notFound, 'No such outbox message');
      return { status: 200, body: OutboxDeadLetter.parse({ ...found, attempts: 0 }) };
    });
    handle(router, opsApi.setFaults, async (request, { caller }) => {
      calls.push({ endpoint: `${service}.setFaults`, caller, request });
      return { status: 200, body: request.body };
    });
  });
}

beforeAll(async () => {
  const [order, payment, kitchen] = await Promise.all([
    startOpsStub('order'),
    startOpsStub('payment'),
    startOpsStub('kitchen'),
  ]);
  stubs = [order, payment, kitchen];
  const config = loadGatewayConfig({
    LOG_LEVEL: 'silent',
    ORDER_SERVICE_URL: order.url,
    PAYMENT_SERVICE_URL: payment.url,
    KITCHEN_SERVICE_URL: kitchen.url,
  });
  gateway = createApp(await gatewayDeps(config));
});
afterAll(() => Promise.all(stubs.map((stub) => stub.close())));
beforeEach(() => {
  calls = [];
});

// One sign-in per user for the file: the gateway throttles sign-ins per username.
const tokens = new Map<string, Promise<string>>();
const tokenOf = (username: string) => {
  if (!tokens.has(username)) tokens.set(username, signIn(gateway, username));
  return tokens.get(username) as Promise<string>;
};

const asAdmin = { caller: { service: 'gateway', user: { id: 'usr_ada', role: 'admin' } } };

describe('GET /api/ops/outboxes', () => {
  it('returns the backlog of the order and kitchen outboxes, asking each as the admin', async () => {
    const ada = await tokenOf('ada');

    const res = await request(gateway).get('/api/ops/outboxes').set('authorization', ada);

    expect(res.status).toBe(200);
    expect(OutboxBacklogList.parse(res.body).items).toEqual([
      { service: 'order', pending: 3, dead: 2, oldestPendingSeconds: 4.5 },
      { service: 'kitchen', pending: 1, dead: 1, oldestPendingSeconds: 1.5 },
    ]);
    expect(calls.map((call) => call.endpoint).sort()).toEqual([
      'kitchen.getOutboxBacklog',
      'order.getOutboxBacklog',
    ]);
    expect(calls).toEqual(expect.arrayContaining([expect.objectContaining(asAdmin)]));
  });

  it('returns 403 to kai and asks no service', async () => {
    const kai = await tokenOf('kai');

    const res = await request(gateway).get('/api/ops/outboxes').set('authorization', kai);

    expectProblem(res, 403, 'forbidden');
    expect(calls).toEqual([]);
  });
});

describe('GET /api/ops/dead-letters', () => {
  it('returns the dead letters of the order and kitchen outboxes, oldest first, asking each as the admin', async () => {
    const ada = await tokenOf('ada');

    const res = await request(gateway).get('/api/ops/dead-letters').set('authorization', ada);

    expect(res.status).toBe(200);
    expect(DeadLetterList.parse(res.body).items.map((item) => item.id)).toEqual([
      'order-msg_o1',
      'kitchen-msg_k1',
      'order-msg_o2',
    ]);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(calls.map((call) => call.endpoint).sort()).toEqual([
      'kitchen.listDeadLetters',
      'order.listDeadLetters',
    ]);
    expect(calls).toEqual(expect.arrayContaining([expect.objectContaining(asAdmin)]));
  });

  it.each(['alice', 'kai'])('returns 403 to %s and asks no service', async (username) => {
    const user = await tokenOf(username);

    const res = await request(gateway).get('/api/ops/dead-letters').set('authorization', user);

    expectProblem(res, 403, 'forbidden');
    expect(calls).toEqual([]);
  });
});

describe('POST /api/ops/dead-letters/:deadLetterId/retry', () => {
  it('retries the message in the service its public id names', async () => {
    const ada = await tokenOf('ada');

    const res = await request(gateway)
      .post('/api/ops/dead-letters/kitchen-msg_k1/retry')
      .set('authorization', ada);

    expect(res.status).toBe(200);
    expect(DeadLetter.parse(res.body)).toMatchObject({ id: 'kitchen-msg_k1', attempts: 0 });
    expect(calls).toEqual([
      {
        endpoint: 'kitchen.retryDeadLetter',
        request: { params: { messageId: 'msg_k1' } },
        ...asAdmin,
      },
    ]);
  });

  it.each(['payment-msg_k1', 'nowhere-msg_k1', 'msg_k1', 'kitchen-'])(
    'returns 404 for %s, which names no service with an outbox, and asks none',
    async (deadLetterId) => {
      const ada = await tokenOf('ada');

      const res = await request(gateway)
        .post(`/api/ops/dead-letters/${deadLetterId}/retry`)
        .set('authorization', ada);

      expectProblem(res, 404, 'not-found');
      expect(calls).toEqual([]);
    },
  );

  it('returns 404 naming the public id when the service has no such message', async () => {
    const ada = await tokenOf('ada');

    const res = await request(gateway)
      .post('/api/ops/dead-letters/order-msg_unknown/retry')
      .set('authorization', ada);

    const problem = expectProblem(res, 404, 'not-found');
    expect(problem.detail).toContain('order-msg_unknown');
    expect(calls.map((call) => call.endpoint)).toEqual(['order.retryDeadLetter']);
  });

  it('returns 403 to kitchen staff', async () => {
    const kai = await tokenOf('kai');

    const res = await request(gateway)
      .post('/api/ops/dead-letters/kitchen-msg_k1/retry')
      .set('authorization', kai);

    expectProblem(res, 403, 'forbidden');
    expect(calls).toEqual([]);
  });
});

describe('PUT /api/ops/faults/:service', () => {
  it('sets the faults of the service it names', async () => {
    const ada = await tokenOf('ada');

    const res = await request(gateway)
      .put('/api/ops/faults/payment')
      .set('authorization', ada)
      .send({ failureRate: 0.5, latencyMs: 100 });

    expect(res.status).toBe(200);
    expect(FaultSettings.parse(res.body)).toEqual({ failureRate: 0.5, latencyMs: 100 });
    expect(calls).toEqual([
      {
        endpoint: 'payment.setFaults',
        request: { body: { failureRate: 0.5, latencyMs: 100 } },
        ...asAdmin,
      },
    ]);
  });

  it('returns 400 for a service faults cannot be injected into', async () => {
    const ada = await tokenOf('ada');

    const res = await request(gateway)
      .put('/api/ops/faults/gateway')
      .set('authorization', ada)
      .send({ failureRate: 1, latencyMs: 0 });

    expectProblem(res, 400, 'validation');
    expect(calls).toEqual([]);
  });

  it.each(['alice', 'kai'])('returns 403 to %s', async (username) => {
    const user = await tokenOf(username);

    const res = await request(gateway)
      .put('/api/ops/faults/kitchen')
      .set('authorization', user)
      .send({ failureRate: 1, latencyMs: 0 });

    expectProblem(res, 403, 'forbidden');
    expect(calls).toEqual([]);
  });
});

describe('GET /metrics', () => {
  it('returns the durations of the requests by route pattern, without a token', async () => {
    const ada = await tokenOf('ada');
    await request(gateway)
      .post('/api/ops/dead-letters/kitchen-msg_k1/retry')
      .set('authorization', ada);

    const res = await request(gateway).get('/metrics');

    expect(res.status).toBe(200);
    expect(res.text).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/api\/ops\/dead-letters\/:deadLetterId\/retry",status="200"\} [1-9]/,
    );
  });
});
