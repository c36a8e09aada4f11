import { type EndUser, Menu, OrderPage } from '@cheesecake/contracts';
import { signInternalToken } from '@cheesecake/service-kit';
import { TEST_INTERNAL_SECRET } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { aMenu, signIn, startSystem, type TestSystem } from './support.js';

const SHOP = 'https://shop.example.com';

/**
 * An `Authorization` header value carrying an internal credential from `issuer` to
 * `audience`, for a request of `method` to `path`.
 */
async function internalAuthorization(options: {
  issuer: string;
  audience: string;
  method: string;
  path: string;
  user?: EndUser;
}): Promise<string> {
  return `Bearer ${await signInternalToken({ secret: TEST_INTERNAL_SECRET, ...options })}`;
}

let system: TestSystem;

const start = async (env: Record<string, string> = {}) => {
  system = await startSystem(
    {
      order: {
        getMenu: async () => ({ status: 200, body: aMenu() }),
        listOrders: async () => ({ status: 200, body: { items: [], nextCursor: null } }),
      },
    },
    env,
  );
};
afterEach(() => system.close());

describe('security headers', () => {
  it("sends helmet's headers and no X-Powered-By", async () => {
    await start();

    const res = await request(system.gateway).get('/api/menu');

    expect(res.status).toBe(200);
    expect(Menu.parse(res.body)).toEqual(aMenu());
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('asks no browser to switch to HTTPS, which the gateway does not speak', async () => {
    await start();

    const res = await request(system.gateway).get('/api/menu');

    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });
});

describe('CORS', () => {
  const preflight = (origin: string) =>
    request(system.gateway)
      .options('/api/orders')
      .set('origin', origin)
      .set('access-control-request-method', 'POST')
      .set('access-control-request-headers', 'authorization, content-type');

  it('answers the preflight of an allowed origin, naming it and never allowing credentials', async () => {
    await start({ CORS_ALLOWED_ORIGINS: `${SHOP}, http://localhost:5173` });

    const res = await preflight(SHOP);

    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
    expect(res.headers['access-control-allow-methods']).toContain('POST');
    expect(res.headers['access-control-allow-headers']).toContain('authorization');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers.vary).toContain('Origin');
    expect(system.order.calls).toEqual([]);
  });

  it('lets an allowed origin read the answer and the headers it needs', async () => {
    await start({ CORS_ALLOWED_ORIGINS: SHOP });
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .get('/api/orders')
      .set('origin', SHOP)
      .set('authorization', alice);

    expect(res.status).toBe(200);
    expect(OrderPage.parse(res.body).items).toEqual([]);
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
    expect(res.headers['access-control-expose-headers']).toContain('x-request-id');
    expect(res.headers['access-control-expose-headers']).toContain('retry-after');
  });

  it('names no origin to a page from an origin not on the list', async () => {
    await start({ CORS_ALLOWED_ORIGINS: SHOP });

    const res = await preflight('https://evil.example.com');

    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows no cross-origin access at all by default', async () => {
    await start();

    const asked = await preflight(SHOP);
    const read = await request(system.gateway).get('/api/menu').set('origin', SHOP);

    expect(asked.headers['access-control-allow-origin']).toBeUndefined();
    expect(read.status).toBe(200);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('identity headers a client sends', () => {
  const forgedIdentity = {
    'x-user-id': 'usr_ada',
    'x-user-role': 'admin',
    'x-forwarded-user': 'usr_ada',
  };

  it('never reach a service: the user is the one whose token the gateway verified', async () => {
    await start();
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .get('/api/orders')
      .set(forgedIdentity)
      .set('authorization', alice);

    expect(res.status).toBe(200);
    const call = system.order.calls.at(-1);
    expect(call?.caller).toEqual({
      service: 'gateway',
      user: { id: 'usr_alice', role: 'customer' },
    });
    for (const header of Object.keys(forgedIdentity)) {
      expect(call?.headers[header]).toBeUndefined();
    }
    expect(call?.headers.authorization).not.toBe(alice);
  });

  it('keep a forged internal credential from every service too', async () => {
    await start();
    const forged = await internalAuthorization({
      issuer: 'gateway',
      audience: 'order',
      method: 'GET',
      path: '/orders',
      user: { id: 'usr_ada', role: 'admin' },
    });

    const menu = await request(system.gateway)
      .get('/api/menu')
      .set(forgedIdentity)
      .set('authorization', forged);
    const orders = await request(system.gateway).get('/api/orders').set('authorization', forged);

    expect(menu.status).toBe(200);
    expect(orders.status).toBe(401);
    expect(system.order.calls).toHaveLength(1);
    const call = system.order.calls[0];
    expect(call?.caller).toEqual({ service: 'gateway' });
    expect(call?.headers.authorization).not.toBe(forged);
    expect(call?.headers['x-user-id']).toBeUndefined();
  });
});
