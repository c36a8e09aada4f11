import {
  FAILED_SERVICE_HEADER,
  Order,
  OrderDetails,
  PROBLEM_CONTENT_TYPE,
  Problem,
} from '@cheesecake/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, eventually, expectBody, GatewayClient } from '../support/client.js';
import { LiveClient } from '../support/live.js';
import { type Stack, startStack } from '../support/stack.js';
import { paymentsOf } from './support.js';

let stack: Stack;
let anonymous: GatewayClient;
let alice: GatewayClient;
let kai: GatewayClient;
let ada: GatewayClient;

beforeAll(async () => {
  stack = await startStack({
    // Tickets wait for the staff, so a paid order can still be cancelled while a service is down.
    KITCHEN_AUTO_PREPARE: 'false',
    // The menu stays cached for the whole scenario, whatever a stopped service costs in time.
    MENU_CACHE_TTL_SECONDS: '600',
  });
  anonymous = new GatewayClient(stack.gatewayUrl);
  [alice, kai, ada] = await Promise.all([
    anonymous.as('alice'),
    anonymous.as('kai'),
    anonymous.as('ada'),
  ]);
});
afterAll(() => stack?.stop());

type DownService = 'order' | 'payment' | 'kitchen';
type Calls = Record<string, () => Promise<Answer>>;

const ONE_CHEESECAKE = { items: [{ menuItemId: 'new-york-cheesecake', quantity: 1 }] };
const NO_FAULTS = { failureRate: 0, latencyMs: 0 };
const DOWNSTREAM_FAILURES = [502, 503, 504];

/**
 * What the scenario checks of an answer: a downstream failure as `failed: <service>` when it
 * is a 502/503/504 problem document whose X-Failed-Service and detail both name that service,
 * anything else as its status, so one comparison shows every route at once.
 */
function outcome(answer: Answer): string {
  if (!DOWNSTREAM_FAILURES.includes(answer.status)) return String(answer.status);
  const problem = Problem.safeParse(answer.body);
  const named = answer.headers.get(FAILED_SERVICE_HEADER);
  if (!answer.headers.get('content-type')?.startsWith(PROBLEM_CONTENT_TYPE) || !problem.success) {
    return `${answer.status} without a problem document`;
  }
  if (!problem.data.detail?.startsWith(`The ${named} service `)) {
    return `${answer.status} naming ${named}: ${problem.data.detail}`;
  }
  return `failed: ${named}`;
}

async function outcomes(calls: Calls): Promise<Record<string, string>> {
  const answers = await Promise.all(
    Object.entries(calls).map(async ([name, call]) => [name, outcome(await call())] as const),
  );
  return Object.fromEntries(answers);
}

/** The orders a scenario works on, made while every service is up. */
interface Orders {
  unpaid: Order;
  paid: Order;
  /** The kitchen ticket of `paid`. */
  ticketId: string;
}

async function ordersForScenario(): Promise<Orders> {
  const place = async () => expectBody(await alice.post('/api/orders', ONE_CHEESECAKE), 201, Order);
  const [unpaid, toPay] = await Promise.all([place(), place()]);
  const paid = expectBody(
    await alice.post(`/api/orders/${toPay.id}/payment`, { paymentMethod: 'tok_visa' }),
    200,
    Order,
  );
  const ticketId = await ticketOf(paid);
  return { unpaid, paid, ticketId };
}

/** The id of the order's kitchen ticket, once the order service has delivered it. */
async function ticketOf(order: Order): Promise<string> {
  const details = await eventually(
    async () => alice.get(`/api/orders/${order.id}`),
    (answer) => answer.status === 200 && OrderDetails.parse(answer.body).ticket !== null,
    60_000,
  );
  return OrderDetails.parse(details.body).ticket?.id ?? '';
}

/** The public routes that need `service`, each expected to fail naming it while it is down. */
function routesNeeding(service: DownService, { unpaid, paid, ticketId }: Orders): Calls {
  switch (service) {
    case 'order':
      return {
        'POST /api/orders': () => alice.post('/api/orders', ONE_CHEESECAKE),
        'GET /api/orders': () => alice.get('/api/orders'),
        'GET /api/orders/{id}': () => alice.get(`/api/orders/${unpaid.id}`),
        'POST /api/orders/{id}/payment': () =>
          alice.post(`/api/orders/${unpaid.id}/payment`, { paymentMethod: 'tok_visa' }),
        'POST /api/orders/{id}/cancel': () => alice.post(`/api/orders/${unpaid.id}/cancel`),
        'GET /api/orders/{id}/timeline': () => alice.get(`/api/orders/${unpaid.id}/timeline`),
        'GET /api/orders/{id}/events': () =>
          alice.get(`/api/orders/${unpaid.id}/events`, { accept: 'text/event-stream' }),
        'GET /api/ops/dead-letters': () => ada.get('/api/ops/dead-letters'),
        'POST /api/ops/dead-letters/{id}/retry': () =>
          ada.post('/api/ops/dead-letters/order-msg_none/retry'),
        'PUT /api/ops/faults/order': () => ada.put('/api/ops/faults/order', NO_FAULTS),
      };
    case 'payment':
      return {
        'POST /api/orders/{id}/payment': () =>
          alice.post(`/api/orders/${unpaid.id}/payment`, { paymentMethod: 'tok_visa' }),
        // Cancelling an unpaid order asks the payment service whether a charge got through.
        'POST /api/orders/{id}/cancel': () => alice.post(`/api/orders/${unpaid.id}/cancel`),
        'PUT /api/ops/faults/payment': () => ada.put('/api/ops/faults/payment', NO_FAULTS),
      };
    case 'kitchen':
      return {
        'GET /api/kitchen/tickets': () => kai.get('/api/kitchen/tickets'),
        'POST /api/kitchen/tickets/{id}/start': () =>
          kai.post(`/api/kitchen/tickets/${ticketId}/start`),
        'POST /api/kitchen/tickets/{id}/ready': () =>
          kai.post(`/api/kitchen/tickets/${ticketId}/ready`),
        'PUT /api/kitchen/stock/{menuItemId}': () =>
          kai.put('/api/kitchen/stock/new-york-cheesecake', { quantity: 500 }),
        // Cancelling a paid order asks the kitchen to cancel its ticket first.
        'POST /api/orders/{id}/cancel': () => alice.post(`/api/orders/${paid.id}/cancel`),
        'GET /api/ops/dead-letters': () => ada.get('/api/ops/dead-letters'),
        'POST /api/ops/dead-letters/{id}/retry': () =>
          ada.post('/api/ops/dead-letters/kitchen-msg_none/retry'),
        'PUT /api/ops/faults/kitchen': () => ada.put('/api/ops/faults/kitchen', NO_FAULTS),
      };
  }
}

/** Public routes that do not need `service`, with the status each answers while it is down. */
function routesNotNeeding(
  service: DownService,
  { unpaid }: Orders,
): Record<string, { call: () => Promise<Answer>; status: number }> {
  const everywhere = {
    'POST /api/auth/token': {
      call: () => anonymous.post('/api/auth/token', { username: 'bob', password: 'cheesecake' }),
      status: 200,
    },
    // From the gateway's cache, even when the order service is the one that is down.
    'GET /api/menu': { call: () => anonymous.get('/api/menu'), status: 200 },
  };
  const others = (['order', 'payment', 'kitchen'] as const).filter((other) => other !== service);
  const faults = Object.fromEntries(
    others.map((other) => [
      `PUT /api/ops/faults/${other}`,
      { call: () => ada.put(`/api/ops/faults/${other}`, NO_FAULTS), status: 200 },
    ]),
  );
  if (service === 'order') {
    return {
      ...everywhere,
      ...faults,
      'GET /api/kitchen/tickets': { call: () => kai.get('/api/kitchen/tickets'), status: 200 },
    };
  }
  return {
    ...everywhere,
    ...faults,
    'POST /api/orders': { call: () => alice.post('/api/orders', ONE_CHEESECAKE), status: 201 },
    'GET /api/orders': { call: () => alice.get('/api/orders'), status: 200 },
    // The composed order, with the stopped service's part null.
    'GET /api/orders/{id}': { call: () => alice.get(`/api/orders/${unpaid.id}`), status: 200 },
    'GET /api/orders/{id}/timeline': {
      call: () => alice.get(`/api/orders/${unpaid.id}/timeline`),
      status: 200,
    },
    ...(service === 'payment' && {
      'GET /api/kitchen/tickets': { call: () => kai.get('/api/kitchen/tickets'), status: 200 },
      'GET /api/ops/dead-letters': { call: () => ada.get('/api/ops/dead-letters'), status: 200 },
    }),
  };
}

/** Resolves to the first message answering a subscription to `orderId`. */
async function subscribe(orderId: string) {
  const live = await LiveClient.connect(stack.gatewayUrl, alice.token ?? '');
  try {
    live.send({ type: 'subscribe', orderId });
    const messages = await live.until(
      (message) => message.type === 'error' || message.type === 'subscribed',
      60_000,
    );
    return messages.find((message) => message.type === 'error' || message.type === 'subscribed');
  } finally {
    live.close();
  }
}

/** Waits until `call` answers `status`, as it should once the service is back. */
const answersAgain = (call: () => Promise<Answer>, status: number) =>
  eventually(call, (answer) => answer.status === status, 60_000);

describe.each<DownService>(['order', 'payment', 'kitchen'])('the %s service killed', (service) => {
  it('fails every route that needs it with 502/503/504 naming it, serves the others, and recovers once it is back', async () => {
    const orders = await ordersForScenario();
    // Cached now, so the gateway can serve it while the order service is down.
    expect((await anonymous.get('/api/menu')).status).toBe(200);
    const needing = routesNeeding(service, orders);
    const notNeeding = routesNotNeeding(service, orders);

    await stack.kill(service);
    let whileDown: Record<string, string>;
    let othersWhileDown: Record<string, string>;
    let detailsWhileDown: Answer;
    let subscriptionWhileDown: Awaited<ReturnType<typeof subscribe>>;
    try {
      whileDown = await outcomes(needing);
      othersWhileDown = await outcomes(
        Object.fromEntries(Object.entries(notNeeding).map(([name, { call }]) => [name, call])),
      );
      detailsWhileDown = await alice.get(`/api/orders/${orders.paid.id}`);
      subscriptionWhileDown = await subscribe(orders.unpaid.id);
    } finally {
      await stack.start(service);
    }

    expect(whileDown).toEqual(
      Object.fromEntries(Object.keys(needing).map((name) => [name, `failed: ${service}`])),
    );
    expect(othersWhileDown).toEqual(
      Object.fromEntries(
        Object.entries(notNeeding).map(([name, { status }]) => [name, String(status)]),
      ),
    );
    if (service === 'order') {
      expect(outcome(detailsWhileDown)).toBe('failed: order');
      expect(subscriptionWhileDown).toMatchObject({ type: 'error', orderId: orders.unpaid.id });
      const problem =
        subscriptionWhileDown?.type === 'error' ? subscriptionWhileDown.problem : undefined;
      expect(DOWNSTREAM_FAILURES).toContain(problem?.status);
      expect(problem?.detail).toMatch(/^The order service /);
    } else {
      const details = expectBody(detailsWhileDown, 200, OrderDetails);
      expect(service === 'payment' ? details.payment : details.ticket).toBeNull();
      expect(service === 'payment' ? details.ticket : details.payment).not.toBeNull();
      expect(subscriptionWhileDown).toEqual({ type: 'subscribed', orderId: orders.unpaid.id });
    }

    // Back: the routes that failed answer again, and what waited in an outbox arrives.
    await answersAgain(() => alice.get(`/api/orders/${orders.unpaid.id}`), 200);
    expect(await subscribe(orders.unpaid.id)).toEqual({
      type: 'subscribed',
      orderId: orders.unpaid.id,
    });
    if (service === 'kitchen') {
      await answersAgain(() => kai.get('/api/kitchen/tickets'), 200);
      await answersAgain(() => kai.post(`/api/kitchen/tickets/${orders.ticketId}/start`), 200);
    } else {
      await answersAgain(() => ada.put(`/api/ops/faults/${service}`, NO_FAULTS), 200);
      await answersAgain(() => ada.get('/api/ops/dead-letters'), 200);
    }
    const paid = await answersAgain(
      () => alice.post(`/api/orders/${orders.unpaid.id}/payment`, { paymentMethod: 'tok_visa' }),
      200,
    );
    expect(Order.parse(paid.body).status).toBe('PAID');
    expect(await ticketOf(orders.unpaid)).toMatch(/^tkt_/);
    const captured = (await paymentsOf(stack, orders.unpaid.id)).filter(
      (payment) => payment.status === 'CAPTURED',
    );
    expect(captured).toHaveLength(1);
  });
});
