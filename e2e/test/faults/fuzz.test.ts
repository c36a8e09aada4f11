import { OrderPage } from '@cheesecake/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, expectBody, GatewayClient } from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
let alice: GatewayClient;
let realOrderId: string;

beforeAll(async () => {
  stack = await startStack();
  alice = await new GatewayClient(stack.gatewayUrl).as('alice');
  const placed = await alice.post('/api/orders', {
    items: [{ menuItemId: 'lemon-tart', quantity: 1 }],
  });
  realOrderId = (placed.body as { id: string }).id;
});
afterAll(() => stack?.stop());

const RUNS = 2_000;

const segment = fc.oneof(
  fc.constantFrom('ord_doesnotexist', 'new-york-cheesecake', '..', '%2e%2e', '%ZZ', '%00', '*'),
  fc.string({ maxLength: 80 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 40 }).map(encodeURIComponent),
);

const path = fc.oneof(
  fc.constantFrom('/api/orders', '/api/menu', '/api/auth/token', '/api/kitchen/tickets', '/api/ws'),
  segment.map((id) => `/api/orders/${id}`),
  fc
    .tuple(segment, fc.constantFrom('payment', 'cancel', 'timeline', 'events'))
    .map(([id, action]) => `/api/orders/${id}/${action}`),
  fc.constant('').map(() => `/api/orders/${realOrderId}`),
  fc
    .constantFrom('payment', 'cancel', 'timeline')
    .map((action) => `/api/orders/${realOrderId}/${action}`),
  fc.tuple(segment, segment).map(([a, b]) => `/api/kitchen/${a}/${b}`),
  fc
    .tuple(segment, fc.string({ maxLength: 40 }))
    .map(([a, query]) => `/api/orders?${a}=${encodeURIComponent(query)}`),
  segment.map((id) => `/api/ops/faults/${id}`),
);

const body = fc.oneof(
  fc.constant(undefined),
  fc.json({ maxDepth: 4 }),
  fc.string({ maxLength: 300 }),
  fc
    .record(
      {
        items: fc.array(
          fc.record(
            {
              menuItemId: fc.oneof(fc.string(), fc.constant('tiramisu')),
              quantity: fc.oneof(fc.integer(), fc.double()),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 30 },
        ),
        notes: fc.oneof(fc.string({ maxLength: 600 }), fc.integer()),
        paymentMethod: fc.oneof(fc.string(), fc.constantFrom('tok_visa', 'tok_chargeDeclined')),
        status: fc.constantFrom('PAID', 'READY'),
        username: fc.string(),
        password: fc.string(),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
);

const headers = fc.record(
  {
    'content-type': fc.constantFrom(
      'application/json',
      'text/plain',
      'application/json; charset=utf-16',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ),
    authorization: fc.oneof(
      fc.constant('alice'),
      fc.string({ maxLength: 100 }).map((text) => `Bearer ${text}`),
      fc.constantFrom('Basic YWxpY2U6Y2hlZXNlY2FrZQ==', 'Bearer', ''),
    ),
    'idempotency-key': fc.string({ minLength: 0, maxLength: 300 }),
    'last-event-id': fc.oneof(fc.nat().map(String), fc.string({ maxLength: 30 })),
    'x-request-id': fc.string({ maxLength: 300 }),
    traceparent: fc.string({ maxLength: 80 }),
  },
  { requiredKeys: [] },
);

const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
  path,
  body,
  headers,
});

/** Whether a header value can be sent at all: fetch refuses control characters. */
const sendable = (value: string) => !/[\r\n\0]/.test(value) && /^[\x20-\x7e]*$/.test(value);

describe('the public API under generated requests', () => {
  it(`answers ${RUNS} generated requests without a 5xx, and changes nothing it refused`, async () => {
    const before = expectBody(await alice.get('/api/orders?limit=100'), 200, OrderPage);
    const accepted: Answer[] = [];
    const realOrderTouched: number[] = [];
    let answered = 0;

    await fc.assert(
      fc.asyncProperty(request, async ({ method, path: target, body: sent, headers: given }) => {
        const chosen = Object.fromEntries(
          Object.entries(given)
            .map(([name, value]) => [
              name,
              name === 'authorization' && value === 'alice' ? `Bearer ${alice.token}` : value,
            ])
            .filter(([, value]) => sendable(String(value))),
        );
        const answer = await new GatewayClient(stack.gatewayUrl)
          .send(method, target, method === 'GET' ? undefined : sent, chosen)
          .catch((error: unknown) => {
            // A request fetch itself cannot send is not the gateway's concern.
            if (error instanceof TypeError) return undefined;
            throw error;
          });
        if (!answer) return;
        answered += 1;
        expect(answer.status, `${method} ${target}`).toBeLessThan(500);
        if (answer.status < 300 && method === 'POST') accepted.push(answer);
        if (answer.status < 300 && target.includes(realOrderId))
          realOrderTouched.push(answer.status);
      }),
      { numRuns: RUNS },
    );

    // Most requests must reach the gateway, or the property proves nothing.
    expect(answered).toBeGreaterThan(RUNS * 0.9);
    const after = expectBody(await alice.get('/api/orders?limit=100'), 200, OrderPage);
    const created = accepted.filter((answer) => answer.status === 201).length;
    expect(after.items.length).toBe(before.items.length + created);
    const realOrder = after.items.find((order) => order.id === realOrderId);
    if (realOrderTouched.length === 0) expect(realOrder?.status).toBe('PENDING_PAYMENT');
    expect((await new GatewayClient(stack.gatewayUrl).get('/readyz')).status).toBe(200);
  });
});
