import { HealthStatus, OrderPage, TokenResponse } from '@cheesecake/contracts';
import { expectProblem } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { aMenu, signIn, startSystem, type TestSystem } from './support.js';

let system: TestSystem;

const start = async (env: Record<string, string>) => {
  system = await startSystem(
    {
      order: {
        getMenu: async () => ({ status: 200, body: aMenu() }),
        listOrders: async () => ({ status: 200, body: { items: [], nextCursor: null } }),
      },
    },
    env,
  );
  return system;
};
afterEach(() => system.close());

const listOrders = (authorization: string) =>
  request(system.gateway).get('/api/orders').set('authorization', authorization);

describe('the per-client rate limit', () => {
  it('counts down in RateLimit headers, then answers 429 rate-limited with Retry-After', async () => {
    await start({ RATE_LIMIT_PER_MINUTE: '3' });
    const alice = await signIn(system.gateway, 'alice');

    const allowed = [await listOrders(alice), await listOrders(alice), await listOrders(alice)];
    const refused = await listOrders(alice);

    expect(allowed.map((res) => res.status)).toEqual([200, 200, 200]);
    expect(OrderPage.parse(allowed[0]?.body).items).toEqual([]);
    expect(allowed.map((res) => res.headers.ratelimit)).toEqual([
      expect.stringMatching(/^"requests"; r=2; t=\d+$/),
      expect.stringMatching(/^"requests"; r=1; t=\d+$/),
      expect.stringMatching(/^"requests"; r=0; t=\d+$/),
    ]);
    expect(allowed[0]?.headers['ratelimit-policy']).toMatch(/^"requests"; q=3; w=60; pk=:.+:$/);
    const problem = expectProblem(refused, 429, 'rate-limited');
    expect(problem.requestId).toBe(refused.headers['x-request-id']);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers.ratelimit).toMatch(/^"requests"; r=0; t=\d+$/);
    expect(refused.headers['cache-control']).toBe('no-store');
    expect(system.order.calls).toHaveLength(3);
  });

  it("keeps one user's budget from another's, and from their address's anonymous requests", async () => {
    await start({ RATE_LIMIT_PER_MINUTE: '3' });
    const alice = await signIn(system.gateway, 'alice');
    const bob = await signIn(system.gateway, 'bob');
    for (let call = 0; call < 3; call += 1) await listOrders(alice);

    const aliceAgain = await listOrders(alice);
    const bobsTurn = await listOrders(bob);
    const anonymous = await request(system.gateway).get('/api/menu');

    expectProblem(aliceAgain, 429, 'rate-limited');
    expect(bobsTurn.status).toBe(200);
    // Two sign-ins and this request: the address's third.
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers.ratelimit).toMatch(/^"requests"; r=0;/);
  });

  it('counts a request whose token does not verify against its address, not a user', async () => {
    await start({ RATE_LIMIT_PER_MINUTE: '2' });
    const forged = `Bearer ${'x'.repeat(20)}.${'y'.repeat(20)}.${'z'.repeat(20)}`;
    await request(system.gateway).get('/api/menu');
    await listOrders(forged);

    const res = await request(system.gateway).get('/api/menu');

    expectProblem(res, 429, 'rate-limited');
  });

  it('never limits /healthz and /readyz', async () => {
    await start({ RATE_LIMIT_PER_MINUTE: '1' });
    await request(system.gateway).get('/api/menu');

    const answers = [];
    for (const path of ['/healthz', '/readyz', '/healthz', '/readyz']) {
      answers.push(await request(system.gateway).get(path));
    }

    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200]);
    expect(answers.map((res) => HealthStatus.parse(res.body).status)).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
    ]);
    expect(answers[0]?.headers.ratelimit).toBeUndefined();
  });
});

describe('the per-address rate limit behind a proxy', () => {
  const fromClient = (address: string) =>
    request(system.gateway).get('/api/menu').set('x-forwarded-for', address);

  it("counts each client's address from X-Forwarded-For when TRUST_PROXY trusts the proxy", async () => {
    await start({ RATE_LIMIT_PER_MINUTE: '1', TRUST_PROXY: '1' });
    await fromClient('203.0.113.7');

    const sameClient = await fromClient('203.0.113.7');
    const otherClient = await fromClient('198.51.100.20');

    expectProblem(sameClient, 429, 'rate-limited');
    expect(otherClient.status).toBe(200);
  });

  it('ignores X-Forwarded-For without TRUST_PROXY, so a client cannot pick a fresh budget', async () => {
    await start({ RATE_LIMIT_PER_MINUTE: '1' });
    await fromClient('203.0.113.7');

    const res = await fromClient('198.51.100.20');

    expectProblem(res, 429, 'rate-limited');
  });
});

describe('POST /api/auth/token throttling', () => {
  const requestToken = (username: string, password = 'cheesecake') =>
    request(system.gateway).post('/api/auth/token').send({ username, password });

  it('answers 429 after RATE_LIMIT_LOGIN_PER_MINUTE attempts for one username, even with the right password', async () => {
    await start({ RATE_LIMIT_LOGIN_PER_MINUTE: '2' });
    await requestToken('alice', 'guess-1');
    await requestToken('alice', 'guess-2');

    const res = await requestToken('alice');

    expectProblem(res, 429, 'rate-limited');
    expect(res.headers['ratelimit-policy']).toMatch(/"requests"; q=100;.*"logins"; q=2;/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('lets another username from the same address sign in', async () => {
    await start({ RATE_LIMIT_LOGIN_PER_MINUTE: '2' });
    await requestToken('alice', 'guess-1');
    await requestToken('alice', 'guess-2');

    const res = await requestToken('bob');

    expect(res.status).toBe(200);
    expect(TokenResponse.parse(res.body).token_type).toBe('Bearer');
    expect(res.headers.ratelimit).toMatch(/"logins"; r=1;/);
  });
});
