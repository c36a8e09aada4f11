import { get, type IncomingMessage } from 'node:http';
import { Order, OrderPage } from '@cheesecake/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, expectBody, expectProblem, GatewayClient } from './support/client.js';
import { LiveClient } from './support/live.js';
import { SERVICES, type Stack, startStack } from './support/stack.js';

const STREAMS_PER_USER = 5;
const REQUESTS_PER_MINUTE = 150;
const cheesecake = { items: [{ menuItemId: 'new-york-cheesecake', quantity: 1 }] };

let stack: Stack;
let alice: GatewayClient;
let bob: GatewayClient;

beforeAll(async () => {
  stack = await startStack({
    STREAMS_PER_USER: String(STREAMS_PER_USER),
    RATE_LIMIT_PER_MINUTE: String(REQUESTS_PER_MINUTE),
  });
  const anonymous = new GatewayClient(stack.gatewayUrl);
  [alice, bob] = await Promise.all([anonymous.as('alice'), anonymous.as('bob')]);
});
afterAll(() => stack?.stop());

/** Opens an order's event stream and resolves once it is answered, open or refused. */
function openStream(client: GatewayClient, orderId: string) {
  return new Promise<{ status: number; response: IncomingMessage }>((resolve, reject) => {
    get(
      `${stack.gatewayUrl}/api/orders/${orderId}/events`,
      { headers: { accept: 'text/event-stream', authorization: `Bearer ${client.token}` } },
      (response) => resolve({ status: response.statusCode ?? 0, response }),
    ).on('error', reject);
  });
}

describe('one abusive customer beside a normal one', () => {
  it('holds the abuser to their own limits, while the other customer is served as usual', async () => {
    const bobsOrder = expectBody(await bob.post('/api/orders', cheesecake), 201, Order);
    const alicesOrder = expectBody(await alice.post('/api/orders', cheesecake), 201, Order);

    // Bob holds every stream he may, then asks for more, and floods a WebSocket with
    // subscriptions to orders that do not exist.
    const held = await Promise.all(
      Array.from({ length: STREAMS_PER_USER }, () => openStream(bob, bobsOrder.id)),
    );
    const oneTooMany = await openStream(bob, bobsOrder.id);
    const flood = await LiveClient.connect(stack.gatewayUrl, bob.token ?? '');
    const unknownOrders = Array.from({ length: 2 * REQUESTS_PER_MINUTE }, (_, i) => `ord_${i}x`);
    for (const orderId of unknownOrders) flood.send({ type: 'subscribe', orderId });
    const floodAnswers = await flood.until(
      () => flood.messages.length >= unknownOrders.length,
      120_000,
    );

    // Alice, meanwhile, lists her orders, follows hers over SSE and over a WebSocket.
    const list = await alice.get('/api/orders');
    const alicesStream = await openStream(alice, alicesOrder.id);
    const live = await LiveClient.connect(stack.gatewayUrl, alice.token ?? '');
    live.send({ type: 'subscribe', orderId: alicesOrder.id });
    const subscribed = await live.until(
      (message) => message.type === 'subscribed' && message.orderId === alicesOrder.id,
    );

    expect(held.map((stream) => stream.status)).toEqual(held.map(() => 200));
    expect(oneTooMany.status).toBe(429);
    const tooMany = floodAnswers.filter(
      (message) => message.type === 'error' && message.problem.status === 429,
    );
    expect(tooMany.length).toBeGreaterThan(0);
    expect(floodAnswers.every((message) => message.type === 'error')).toBe(true);
    expect(expectBody(list, 200, OrderPage).items.map((order) => order.id)).toContain(
      alicesOrder.id,
    );
    expect(alicesStream.status).toBe(200);
    expect(subscribed.some((message) => message.type === 'subscribed')).toBe(true);
    // Bob's own budget is spent: his next request waits, Alice's does not.
    expectProblem(await bob.get('/api/orders'), 429, 'rate-limited');
    expect((await alice.get('/api/orders')).status).toBe(200);

    for (const stream of [...held, alicesStream]) stream.response.destroy();
    flood.close();
    live.close();
  });
});

describe('the logs of this run', () => {
  it('hold none of the access tokens used, in a header or in a query string', async () => {
    // A URL that carries a token, so that there is one to keep out of the gateway's log.
    const plainGet = await alice.get(`/api/ws?access_token=${alice.token}`);

    expectProblem(plainGet, 426, 'upgrade-required');
    // Once the gateway has logged that request, with the token redacted: logs arrive on their own time.
    await eventually(
      () => stack.replicasThatLogged('gateway', 'access_token=%5BRedacted%5D'),
      (replicas) => replicas.length > 0,
    );
    for (const service of SERVICES) {
      for (const token of [alice.token ?? '', bob.token ?? '']) {
        const signature = token.split('.')[2] ?? token;
        expect(await stack.replicasThatLogged(service, signature), service).toEqual([]);
      }
    }
  });
});
