import { HealthStatus } from '@cheesecake/contracts';
import { expectProblem } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { signIn, startSystem, type TestSystem } from './support.js';

let system: TestSystem;

beforeEach(async () => {
  system = await startSystem();
});
afterEach(() => system.close());

describe('GET /healthz', () => {
  it('answers 200 while the process runs, whatever the services do', async () => {
    await system.order.close();

    const res = await request(system.gateway).get('/healthz');

    expect(res.status).toBe(200);
    expect(HealthStatus.parse(res.body).status).toBe('ok');
  });
});

describe('GET /readyz', () => {
  it('answers 200 when the order, payment and kitchen services are ready', async () => {
    const res = await request(system.gateway).get('/readyz');

    expect(res.status).toBe(200);
    expect(HealthStatus.parse(res.body)).toEqual({
      status: 'ok',
      checks: { order: 'ok', payment: 'ok', kitchen: 'ok', accepting: 'ok' },
    });
  });

  it('answers 503 naming the service that is down', async () => {
    await system.kitchen.close();

    const res = await request(system.gateway).get('/readyz');

    expect(res.status).toBe(503);
    expect(HealthStatus.parse(res.body)).toEqual({
      status: 'unavailable',
      checks: { order: 'ok', payment: 'ok', kitchen: 'unavailable', accepting: 'ok' },
    });
  });
});

describe('GET /readyz under a burst', () => {
  afterEach(() => vi.useRealTimers());

  it('asks the services once a second at most, so 300 probes at once all answer 200', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    let probes = 0;
    system.kitchen.server.on('request', (req) => {
      if (req.url === '/readyz') probes += 1;
    });

    const answers = await Promise.all(
      Array.from({ length: 300 }, () => request(system.gateway).get('/readyz')),
    );

    expect(answers.map((res) => res.status)).toEqual(answers.map(() => 200));
    expect(probes).toBe(1);
  });

  it('keeps the answer for a second, then asks again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    await request(system.gateway).get('/readyz');
    await system.kitchen.close();

    const within = await request(system.gateway).get('/readyz');
    vi.advanceTimersByTime(1_000);
    const after = await request(system.gateway).get('/readyz');

    expect(within.status).toBe(200);
    expect(after.status).toBe(503);
    expect(HealthStatus.parse(after.body).checks?.kitchen).toBe('unavailable');
  });
});

describe('unknown routes', () => {
  it('answers 404 not-found as a problem', async () => {
    const res = await request(system.gateway).get('/api/recipes').set('x-request-id', 'req-404');

    const problem = expectProblem(res, 404, 'not-found');
    expect(problem.requestId).toBe('req-404');
    expect(res.headers['x-request-id']).toBe('req-404');
  });

  it('answers 404 to a signed-in user on a path under /api/orders that has no route', async () => {
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .delete('/api/orders/ord_1')
      .set('authorization', alice);

    expectProblem(res, 404, 'not-found');
  });
});

describe('a service that refuses the gateway credential', () => {
  it('answers 502 bad-gateway instead of telling the user to sign in again', async () => {
    const misconfigured = await startSystem(
      { order: { getMenu: async () => ({ status: 200, body: { items: [] } }) } },
      { INTERNAL_TOKEN_SECRET: 'not-the-secret-the-services-share' },
    );
    onTestFinished(() => misconfigured.close());

    const res = await request(misconfigured.gateway).get('/api/menu');

    const problem = expectProblem(res, 502, 'bad-gateway');
    expect(problem).toMatchObject({ service: 'order' });
  });
});
