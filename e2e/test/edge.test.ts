import { randomBytes, randomUUID } from 'node:crypto';
import { type IncomingHttpHeaders, request } from 'node:http';
import { Menu, Order, OrderPage } from '@cheesecake/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, expectBody, expectProblem, GatewayClient } from './support/client.js';
import { SERVICES, type Stack, startStack } from './support/stack.js';

// A small budget, so that using it up takes a handful of requests. Every other test here
// stays well inside it: four anonymous requests for the menu and CORS, two sign-ins.
const RATE_LIMIT = 10;
const SHOP = 'https://shop.example.com';

let stack: Stack;
let anonymous: GatewayClient;
let alice: GatewayClient;
let bob: GatewayClient;

beforeAll(async () => {
  stack = await startStack({
    RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
    CORS_ALLOWED_ORIGINS: SHOP,
  });
  anonymous = new GatewayClient(stack.gatewayUrl);
  [alice, bob] = await Promise.all([anonymous.as('alice'), anonymous.as('bob')]);
});
afterAll(() => stack?.stop());

/** A request as curl or a browser's preflight sends it: only the headers given, nothing added. */
function plainRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number | undefined; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    request(`${stack.gatewayUrl}${path}`, { method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers }));
    })
      .on('error', reject)
      .end();
  });
}

describe('the rate limit at the gateway', () => {
  it("answers 429 with Retry-After once a customer has used the minute's budget, and only to them", async () => {
    const allowed = [];
    for (let call = 0; call < RATE_LIMIT; call += 1) allowed.push(await bob.get('/api/orders'));

    const refused = await bob.get('/api/orders');
    const someoneElse = await alice.get('/api/orders');

    expect(allowed.map((answer) => answer.status)).toEqual(allowed.map(() => 200));
    expect(allowed[0]?.headers.get('ratelimit-policy')).toMatch(
      new RegExp(`^"requests"; q=${RATE_LIMIT}; w=60;`),
    );
    expectProblem(refused, 429, 'rate-limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('ratelimit')).toMatch(/^"requests"; r=0;/);
    expectBody(someoneElse, 200, OrderPage);
  });
});

describe('GET /api/menu at the gateway', () => {
  it('lets clients keep the menu for the cache TTL and answers 304 to its ETag', async () => {
    const first = await anonymous.get('/api/menu');
    const etag = first.headers.get('etag') ?? '';

    const revalidated = await plainRequest('GET', '/api/menu', { 'if-none-match': etag });

    expect(expectBody(first, 200, Menu).items.length).toBeGreaterThan(0);
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toBe('public, max-age=30');
    expect(revalidated.status).toBe(304);
    expect(revalidated.headers.etag).toBe(etag);
  });
});

describe('CORS at the gateway', () => {
  const preflight = (origin: string) =>
    plainRequest('OPTIONS', '/api/orders', {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    });

  it('answers the preflight of the configured origin, and names no other', async () => {
    const allowed = await preflight(SHOP);
    const other = await preflight('https://evil.example.com');

    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe(SHOP);
    expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('correlation across the services', () => {
  it('finds the request id and trace id of a checkout in the logs of every service', async () => {
    const requestId = `checkout-${randomUUID()}`;
    const traceId = randomBytes(16).toString('hex');
    const order = expectBody(
      await alice.post('/api/orders', { items: [{ menuItemId: 'tiramisu', quantity: 1 }] }),
      201,
      Order,
    );

    const paid = await alice.send(
      'POST',
      `/api/orders/${order.id}/payment`,
      { paymentMethod: 'tok_visa' },
      {
        'x-request-id': requestId,
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      },
    );

    expect(expectBody(paid, 200, Order).status).toBe('PAID');
    expect(paid.headers.get('x-request-id')).toBe(requestId);
    // The kitchen hears of the order from the order service's outbox, a moment later.
    const servicesThatLogged = (text: string) =>
      eventually(
        async () => {
          const logged = await Promise.all(
            SERVICES.map(async (service) => (await stack.replicasThatLogged(service, text)).length),
          );
          return SERVICES.filter((_service, index) => (logged[index] ?? 0) > 0);
        },
        (services) => services.length === SERVICES.length,
      );
    expect(await servicesThatLogged(requestId)).toEqual([...SERVICES]);
    expect(await servicesThatLogged(traceId)).toEqual([...SERVICES]);
  });
});
