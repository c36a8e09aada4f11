import { OrderPage, StockLevel, TicketList } from '@cheesecake/contracts';
import { expectProblem } from '@cheesecake/service-kit/testing';
import { SignJWT } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVELOPMENT_JWT_SECRET } from '../src/config.js';
import { anOrder, aTicket, signIn, startSystem, type TestSystem } from './support.js';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

function signToken(
  options: {
    secret?: string;
    issuedAt?: number;
    expiresAt?: number;
    claims?: Record<string, unknown>;
  } = {},
) {
  const issuedAt = options.issuedAt ?? nowSeconds();
  return new SignJWT({ role: 'admin', name: 'Ada', sub: 'usr_ada', ...options.claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('cheesecake-gateway')
    .setAudience('cheesecake-api')
    .setIssuedAt(issuedAt)
    .setExpirationTime(options.expiresAt ?? issuedAt + 600)
    .sign(new TextEncoder().encode(options.secret ?? DEVELOPMENT_JWT_SECRET));
}

describe('user authentication on /api/orders and /api/kitchen', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await startSystem({
      order: { listOrders: async () => ({ status: 200, body: { items: [], nextCursor: null } }) },
      kitchen: { listTickets: async () => ({ status: 200, body: { items: [aTicket()] } }) },
    });
  });
  afterAll(() => system.close());

  it('lets a request with a token the gateway issued through, as its user', async () => {
    const authorization = await signIn(system.gateway, 'ada');

    const res = await request(system.gateway)
      .get('/api/orders')
      .set('authorization', authorization);

    expect(res.status).toBe(200);
    expect(OrderPage.parse(res.body)).toEqual({ items: [], nextCursor: null });
    expect(system.order.calls.at(-1)?.caller.user).toEqual({ id: 'usr_ada', role: 'admin' });
  });

  it('accepts a token signed by hand with the same secret and claims', async () => {
    const res = await request(system.gateway)
      .get('/api/kitchen/tickets')
      .set('authorization', `Bearer ${await signToken()}`);

    expect(res.status).toBe(200);
    expect(TicketList.parse(res.body).items).toHaveLength(1);
  });

  it('returns 401 with a bare Bearer challenge when there is no token', async () => {
    const callsBefore = system.order.calls.length;

    const res = await request(system.gateway).get('/api/orders');

    const problem = expectProblem(res, 401, 'unauthenticated');
    expect(problem.requestId).toBe(res.headers['x-request-id']);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(system.order.calls).toHaveLength(callsBefore);
  });

  it('returns 401 invalid_token for a token that is garbage, expired, forged or unsigned', async () => {
    const expired = await signToken({
      issuedAt: nowSeconds() - 7_200,
      expiresAt: nowSeconds() - 3_600,
    });
    const otherSecret = await signToken({ secret: 'someone-elses-secret-for-signing' });
    const [, claims] = (await signToken()).split('.');
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${claims}.`;
    const tokens = { garbage: 'not-a-jwt', expired, otherSecret, unsigned };
    const callsBefore = system.kitchen.calls.length;

    for (const [name, token] of Object.entries(tokens)) {
      const res = await request(system.gateway)
        .get('/api/kitchen/tickets')
        .set('authorization', `Bearer ${token}`);

      expect(res.status, name).toBe(401);
      expectProblem(res, 401, 'unauthenticated');
      expect(res.headers['www-authenticate'], name).toBe('Bearer error="invalid_token"');
    }
    expect(system.kitchen.calls).toHaveLength(callsBefore);
  });

  it.each([
    ['an empty subject', { claims: { sub: '' } }],
    ['a numeric subject', { claims: { sub: 42 } }],
    ['a subject of another form', { claims: { sub: '../usr_alice' } }],
    ['a role the gateway does not know', { claims: { role: 'root' } }],
    ['an issue time in the future', { issuedAt: nowSeconds() + 600 }],
    ['a lifetime longer than the gateway issues', { expiresAt: nowSeconds() + 10 * 365 * 86_400 }],
  ])('returns 401 invalid_token for a well-signed token with %s', async (_case, options) => {
    const callsBefore = system.order.calls.length;

    const res = await request(system.gateway)
      .get('/api/orders')
      .set('authorization', `Bearer ${await signToken(options)}`);

    expectProblem(res, 401, 'unauthenticated');
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(system.order.calls).toHaveLength(callsBefore);
  });

  it('returns 401 for a token of the right shape with another issuer or audience', async () => {
    const key = new TextEncoder().encode(DEVELOPMENT_JWT_SECRET);
    const sign = (issuer: string, audience: string) =>
      new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject('usr_ada')
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(key);

    for (const token of [
      await sign('someone-else', 'cheesecake-api'),
      await sign('cheesecake-gateway', 'another-api'),
    ]) {
      const res = await request(system.gateway)
        .get('/api/orders')
        .set('authorization', `Bearer ${token}`);

      expectProblem(res, 401, 'unauthenticated');
    }
  });
});

describe('roles', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await startSystem({
      order: { createOrder: async () => ({ status: 201, body: anOrder() }) },
      kitchen: {
        listTickets: async () => ({ status: 200, body: { items: [] } }),
        setStock: async ({ params, body }) => ({
          status: 200,
          body: { menuItemId: params.menuItemId, quantity: body.quantity },
        }),
      },
    });
  });
  afterAll(() => system.close());

  it('returns 403 to a customer on the kitchen routes and calls no service', async () => {
    const alice = await signIn(system.gateway, 'alice');
    const callsBefore = system.kitchen.calls.length;

    const tickets = await request(system.gateway)
      .get('/api/kitchen/tickets')
      .set('authorization', alice);
    const stock = await request(system.gateway)
      .put('/api/kitchen/stock/new-york-cheesecake')
      .set('authorization', alice)
      .send({ quantity: 5 });

    expectProblem(tickets, 403, 'forbidden');
    expectProblem(stock, 403, 'forbidden');
    expect(system.kitchen.calls).toHaveLength(callsBefore);
  });

  it('returns 403 to the kitchen creating an order and calls no service', async () => {
    const kai = await signIn(system.gateway, 'kai');
    const callsBefore = system.order.calls.length;

    const res = await request(system.gateway)
      .post('/api/orders')
      .set('authorization', kai)
      .send({ items: [{ menuItemId: 'new-york-cheesecake', quantity: 1 }] });

    expectProblem(res, 403, 'forbidden');
    expect(system.order.calls).toHaveLength(callsBefore);
  });

  it('lets the kitchen and an admin set stock', async () => {
    for (const username of ['kai', 'ada']) {
      const res = await request(system.gateway)
        .put('/api/kitchen/stock/new-york-cheesecake')
        .set('authorization', await signIn(system.gateway, username))
        .send({ quantity: 12 });

      expect(res.status, username).toBe(200);
      expect(StockLevel.parse(res.body)).toEqual({
        menuItemId: 'new-york-cheesecake',
        quantity: 12,
      });
    }
    expect(system.kitchen.calls.slice(-2).map((call) => call.caller.user?.role)).toEqual([
      'kitchen',
      'admin',
    ]);
  });
});
