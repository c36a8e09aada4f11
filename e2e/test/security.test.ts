import { type Endpoint, gatewayApi, Order, OrderPage, type Role } from '@cheesecake/contracts';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, expectBody, expectProblem, GatewayClient } from './support/client.js';
import { LiveClient, refusedHandshakeStatus } from './support/live.js';
import { type Stack, startStack } from './support/stack.js';

// The gateway's development secret, which both stacks use unless JWT_SECRET is set; the
// tests sign tokens with it to show that the gateway checks more than the signature.
const JWT_SECRET = process.env.JWT_SECRET ?? 'cheesecake-jwt-dev-secret-change-me';
const SHOP = 'https://shop.example.com';

let stack: Stack;
let anonymous: GatewayClient;
let signedIn: Record<'alice' | 'bob' | 'kai' | 'ada', GatewayClient>;

beforeAll(async () => {
  stack = await startStack({ CORS_ALLOWED_ORIGINS: SHOP });
  anonymous = new GatewayClient(stack.gatewayUrl);
  const [alice, bob, kai, ada] = await Promise.all(
    ['alice', 'bob', 'kai', 'ada'].map((name) => anonymous.as(name)),
  );
  signedIn = { alice, bob, kai, ada } as typeof signedIn;
});
afterAll(() => stack?.stop());

const cheesecake = { items: [{ menuItemId: 'new-york-cheesecake', quantity: 1 }] };

/** A token for alice as the gateway would sign it, with `change` applied. */
async function tokenFor(change: (jwt: SignJWT) => SignJWT, secret = JWT_SECRET): Promise<string> {
  const jwt = new SignJWT({ role: 'customer', name: 'Alice' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer('cheesecake-gateway')
    .setAudience('cheesecake-api')
    .setSubject('usr_alice')
    .setIssuedAt()
    .setExpirationTime('1h');
  return change(jwt).sign(new TextEncoder().encode(secret));
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('object-level authorization: another customer\'s order is "not found" everywhere', () => {
  it('answers 404 on every order route, over SSE and WebSocket too, and changes nothing', async () => {
    const { alice, bob } = signedIn;
    const order = expectBody(await alice.post('/api/orders', cheesecake), 201, Order);

    const answers = [
      await bob.get(`/api/orders/${order.id}`),
      await bob.get(`/api/orders/${order.id}/timeline`),
      await bob.get(`/api/orders/${order.id}/events`),
      await bob.post(`/api/orders/${order.id}/payment`, { paymentMethod: 'tok_visa' }),
      await bob.post(`/api/orders/${order.id}/cancel`),
    ];
    const socket = await LiveClient.connect(stack.gatewayUrl, bob.token ?? '');
    socket.send({ type: 'subscribe', orderId: order.id });
    const [refusal] = await socket.until((message) => message.type === 'error');
    socket.close();
    const bobsList = expectBody(await bob.get('/api/orders?limit=100'), 200, OrderPage);

    for (const answer of answers) expectProblem(answer, 404, 'order-not-found');
    expect(refusal).toMatchObject({ type: 'error', problem: { status: 404 } });
    expect(bobsList.items.map((item) => item.id)).not.toContain(order.id);
    expect(expectBody(await alice.get(`/api/orders/${order.id}`), 200, Order).status).toBe(
      'PENDING_PAYMENT',
    );
  });
});

describe('broken authentication', () => {
  const cases: Array<[string, () => Promise<string>]> = [
    [
      'an expired token',
      () => tokenFor((jwt) => jwt.setExpirationTime(Math.floor(Date.now() / 1000) - 60)),
    ],
    ['a token of another issuer', () => tokenFor((jwt) => jwt.setIssuer('someone-else'))],
    ['a token for another audience', () => tokenFor((jwt) => jwt.setAudience('another-api'))],
    ['a token signed with another secret', () => tokenFor((jwt) => jwt, 'not-the-gateway-secret')],
    [
      'an unsigned token (alg: none)',
      async () =>
        `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({
          sub: 'usr_alice',
          role: 'admin',
          iss: 'cheesecake-gateway',
          aud: 'cheesecake-api',
          exp: Math.floor(Date.now() / 1000) + 3600,
        })}.`,
    ],
    [
      'a real token whose payload was changed to admin',
      async () => {
        const [header, , signature] = (signedIn.alice.token ?? '').split('.');
        const payload = base64url({
          sub: 'usr_alice',
          role: 'admin',
          iss: 'cheesecake-gateway',
          aud: 'cheesecake-api',
          exp: Math.floor(Date.now() / 1000) + 3600,
        });
        return `${header}.${payload}.${signature}`;
      },
    ],
  ];

  it.each(cases)(
    'answers 401 to %s, on the API and on the WebSocket handshake',
    async (_, make) => {
      const token = await make();

      const answer = await new GatewayClient(stack.gatewayUrl, token).get('/api/orders');
      const handshake = await refusedHandshakeStatus(
        `${stack.gatewayUrl.replace(/^http/, 'ws')}/api/ws?access_token=${token}`,
      );

      expectProblem(answer, 401, 'unauthenticated');
      expect(answer.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(handshake).toBe(401);
    },
  );

  it('accepts the same token once it is signed properly, so the cases above fail for their flaw', async () => {
    const token = await tokenFor((jwt) => jwt);

    const answer = await new GatewayClient(stack.gatewayUrl, token).get('/api/orders');

    expectBody(answer, 200, OrderPage);
  });
});

describe('mass assignment', () => {
  it('refuses fields a client may not set, and creates nothing', async () => {
    const { alice } = signedIn;
    const before = expectBody(await alice.get('/api/orders?limit=100'), 200, OrderPage).items;

    const answers = [
      await alice.post('/api/orders', { ...cheesecake, customerId: 'usr_bob' }),
      await alice.post('/api/orders', { ...cheesecake, totalCents: 1 }),
      await alice.post('/api/orders', {
        items: [{ menuItemId: 'new-york-cheesecake', quantity: 1, unitPriceCents: 1 }],
      }),
    ];
    const after = expectBody(await alice.get('/api/orders?limit=100'), 200, OrderPage).items;

    for (const answer of answers) expectProblem(answer, 400, 'validation');
    expect(after.length).toBe(before.length);
  });
});

describe('resource limits', () => {
  it('caps page sizes, quantities and bodies', async () => {
    const { alice } = signedIn;

    const tooLongPage = await alice.get('/api/orders?limit=1000');
    const tooMany = await alice.post('/api/orders', {
      items: [{ menuItemId: 'new-york-cheesecake', quantity: 1_000_000 }],
    });
    const tooBig = await alice.post('/api/orders', { ...cheesecake, notes: 'x'.repeat(200_000) });

    expectProblem(tooLongPage, 400, 'validation');
    expectProblem(tooMany, 400, 'validation');
    expectProblem(tooBig, 413, 'payload-too-large');
  });
});

describe('what a customer writes reaches the kitchen as they wrote it', () => {
  it.each([
    ['a carriage return', 'no nuts\r\nPRIORITY: free'],
    ['an escape sequence', 'happy \u001b[31mbirthday'],
    ['a bidirectional override', 'for \u202eelciN'],
    ['a bidirectional isolate', 'for \u2066Nicole\u2069'],
  ])(
    'refuses notes with %s with 400 naming the field, and creates no order',
    async (_case, notes) => {
      const { bob } = signedIn;
      const before = expectBody(await bob.get('/api/orders?limit=100'), 200, OrderPage).items
        .length;

      const answer = await bob.post('/api/orders', { ...cheesecake, notes });

      const problem = expectProblem(answer, 400, 'validation');
      expect(problem.errors?.map((issue) => issue.path)).toEqual(['body.notes']);
      const after = expectBody(await bob.get('/api/orders?limit=100'), 200, OrderPage).items.length;
      expect(after).toBe(before);
    },
  );

  it('keeps line feeds, which a note may use between lines', async () => {
    const notes = 'Happy birthday, Nicole!\nNo nuts, please.';

    const answer = await signedIn.bob.post('/api/orders', { ...cheesecake, notes });

    expect(expectBody(answer, 201, Order).notes).toBe(notes);
  });
});

describe('bodies are application/json', () => {
  it('answers 415 to a +json type no route reads, such as merge-patch, and creates nothing', async () => {
    const { bob } = signedIn;
    const before = expectBody(await bob.get('/api/orders?limit=100'), 200, OrderPage).items.length;

    const answer = await bob.send('POST', '/api/orders', JSON.stringify(cheesecake), {
      'content-type': 'application/merge-patch+json',
    });

    expectProblem(answer, 415, 'unsupported-media-type');
    const after = expectBody(await bob.get('/api/orders?limit=100'), 200, OrderPage).items.length;
    expect(after).toBe(before);
  });
});

describe('no user-supplied URL is ever fetched', () => {
  it('has no field in the public contract that takes a URL', async () => {
    const document = await anonymous.get('/openapi.json');

    expect(document.status).toBe(200);
    expect(JSON.stringify(document.body)).not.toMatch(/"format":"(uri|url|uri-reference)"/);
  });
});

describe('misconfiguration', () => {
  it('sends security headers, no X-Powered-By, and no stack trace in errors', async () => {
    const answer = await signedIn.alice.get('/api/orders/%ZZ');

    expect(answer.headers.get('x-powered-by')).toBeNull();
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('content-security-policy')).toBeTruthy();
    expect(JSON.stringify(answer.body)).not.toMatch(/\bat .+\.(js|ts):\d+/);
  });

  it('allows only the configured origin, never with credentials', async () => {
    const allowed = await anonymous.get('/api/menu', { origin: SHOP });
    const other = await anonymous.get('/api/menu', { origin: 'https://evil.example.com' });

    expect(allowed.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

/** A request to a route of the public contract with placeholders for its parameters. */
function exampleRequest(endpoint: Endpoint): { path: string; body?: unknown } {
  const path = endpoint.path
    .replace(':orderId', 'ord_matrix')
    .replace(':ticketId', 'tkt_matrix')
    .replace(':menuItemId', 'lemon-tart')
    .replace(':deadLetterId', 'order-msg_matrix')
    .replace(':service', 'payment');
  return endpoint.body ? { path, body: {} } : { path };
}

const ROLES: Array<[Role, 'alice' | 'kai' | 'ada']> = [
  ['customer', 'alice'],
  ['kitchen', 'kai'],
  ['admin', 'ada'],
];

const protectedRoutes = Object.entries(gatewayApi).filter(
  ([, endpoint]) => endpoint.access !== 'anyone' && endpoint.path !== gatewayApi.liveUpdates.path,
);

describe('the role × route matrix', () => {
  it.each(
    protectedRoutes.flatMap(([name, endpoint]) =>
      ROLES.map(([role, user]) => ({
        route: `${endpoint.method} ${endpoint.path}`,
        name,
        endpoint,
        role,
        user,
        allowed: (endpoint.access as readonly Role[]).includes(role),
      })),
    ),
  )('$route as $role', async ({ endpoint, user, allowed }) => {
    const { path, body } = exampleRequest(endpoint);

    const answer: Answer = await signedIn[user].send(endpoint.method, path, body);

    if (allowed) {
      // Past the role check: whatever the service makes of the placeholder, never 401 or 403.
      expect([401, 403]).not.toContain(answer.status);
      expect(answer.status).toBeLessThan(500);
    } else {
      expectProblem(answer, 403, 'forbidden');
    }
    const anonymousAnswer = await anonymous.send(endpoint.method, path, body);
    expectProblem(anonymousAnswer, 401, 'unauthenticated');
  });
});
