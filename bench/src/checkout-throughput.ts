import { Order, OrderDetails, TicketList } from '@cheesecake/contracts';
import { type Answer, call, expectCall, signIn } from './api.js';
import { percentile } from './stats.js';

/** How many clients check out, for how long, and how long to wait for the kitchen after. */
export interface CheckoutOptions {
  clients: number;
  durationSeconds: number;
  readyTimeoutSeconds: number;
}

/** The 50th and 99th percentiles of some latencies, in milliseconds. */
export interface Percentiles {
  p50: number;
  p99: number;
}

/** What the check after the checkout found. */
export interface CheckoutCheck {
  /** Paid orders seen READY with their payment CAPTURED and their ticket READY. */
  ready: number;
  /** Seconds from the end of the checkout until the kitchen had a READY ticket for each paid order. */
  kitchenSeconds: number;
  /** Seconds from the end of the checkout until every paid order was seen READY, or gave up. */
  checkedSeconds: number;
  /** Every way the run failed to keep each paid order exactly once; empty when it passed. */
  problems: string[];
  passed: boolean;
}

/** Everything the checkout benchmark found. */
export interface CheckoutResult {
  clients: number;
  /** From the first request until the last client finished its last checkout. */
  elapsedSeconds: number;
  created: number;
  paid: number;
  /** Orders created and paid per second. */
  checkoutsPerSecond: number;
  latency: { create: Percentiles; pay: Percentiles; checkout: Percentiles };
  /** Requests answered other than expected, or not answered, by request and status. */
  failures: Record<string, number>;
  check: CheckoutCheck;
}

const DISH = 'new-york-cheesecake';
const SWEEP_CONCURRENCY = 10;
// A failed request answers fast; its client pauses before the next rather than spin.
const PAUSE_AFTER_FAILURE_MS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface PaidOrder {
  id: string;
  paymentId: string | null;
  token: string;
}

/**
 * Checkout throughput through the gateway: `clients` customers (alice and bob, sharing their
 * tokens) each create an order and pay it, over and over, until the time is up; then every
 * paid order must reach READY exactly once, with one captured payment and one ready ticket.
 */
export async function measureCheckout(
  gatewayUrl: string,
  options: CheckoutOptions,
): Promise<CheckoutResult> {
  const tokens = [await signIn(gatewayUrl, 'alice'), await signIn(gatewayUrl, 'bob')];
  const kai = await signIn(gatewayUrl, 'kai');
  // Enough portions for any run: no order is refused or rejected as sold out.
  await expectCall(200, `${gatewayUrl}/api/kitchen/stock/${DISH}`, {
    method: 'PUT',
    token: kai,
    body: { quantity: 100_000 },
  });

  const createdIds: string[] = [];
  const paid: PaidOrder[] = [];
  const failures: Record<string, number> = {};
  const latencies = { create: [] as number[], pay: [] as number[], checkout: [] as number[] };
  const fail = (request: string, outcome: string) => {
    const key = `${request}: ${outcome}`;
    failures[key] = (failures[key] ?? 0) + 1;
  };

  const attempt = async (request: string, expected: number, send: () => Promise<Answer>) => {
    try {
      const answer = await send();
      if (answer.status === expected) return Order.parse(answer.body);
      fail(request, String(answer.status));
    } catch (error) {
      fail(request, error instanceof Error ? error.name : 'error');
    }
    return undefined;
  };

  const started = performance.now();
  const deadline = started + options.durationSeconds * 1_000;
  const client = async (token: string) => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const order = await attempt('POST /api/orders', 201, () =>
        call(`${gatewayUrl}/api/orders`, {
          method: 'POST',
          token,
          body: { items: [{ menuItemId: DISH, quantity: 1 }] },
        }),
      );
      if (!order) {
        await sleep(PAUSE_AFTER_FAILURE_MS);
        continue;
      }
      createdIds.push(order.id);
      const t1 = performance.now();
      const paidOrder = await attempt('POST /api/orders/{id}/payment', 200, () =>
        call(`${gatewayUrl}/api/orders/${order.id}/payment`, {
          method: 'POST',
          token,
          body: { paymentMethod: 'tok_visa' },
        }),
      );
      if (!paidOrder) {
        await sleep(PAUSE_AFTER_FAILURE_MS);
        continue;
      }
      const t2 = performance.now();
      paid.push({ id: order.id, paymentId: paidOrder.paymentId, token });
      latencies.create.push(t1 - t0);
      latencies.pay.push(t2 - t1);
      latencies.checkout.push(t2 - t0);
    }
  };
  // Each client finishes the checkout it has begun, so no payment is cut off mid-flight.
  await Promise.all(
    Array.from({ length: options.clients }, (_, i) => client(tokens[i % 2] as string)),
  );
  const elapsedSeconds = (performance.now() - started) / 1_000;
  console.log(
    `checkout: ${paid.length} orders created and paid in ${elapsedSeconds.toFixed(1)} s by ${options.clients} clients; checking them`,
  );

  const check = await checkEveryPaidOrder(gatewayUrl, kai, createdIds, paid, options);
  const failed = Object.values(failures).reduce((sum, count) => sum + count, 0);
  if (failed > 0) {
    check.problems.push(`${failed} requests failed during the checkout`);
    check.passed = false;
  }
  const percentiles = (values: number[]) => ({
    p50: percentile(values, 50),
    p99: percentile(values, 99),
  });
  return {
    clients: options.clients,
    elapsedSeconds,
    created: createdIds.length,
    paid: paid.length,
    checkoutsPerSecond: paid.length / elapsedSeconds,
    latency: {
      create: percentiles(latencies.create),
      pay: percentiles(latencies.pay),
      checkout: percentiles(latencies.checkout),
    },
    failures,
    check,
  };
}

/**
 * Waits (bounded) until every paid order is READY with a CAPTURED payment and a READY ticket,
 * then checks that nothing was lost or doubled: distinct order, payment and ticket ids, one
 * kitchen ticket for each paid order and none for any other.
 */
async function checkEveryPaidOrder(
  gatewayUrl: string,
  kitchenToken: string,
  createdIds: string[],
  paid: PaidOrder[],
  options: CheckoutOptions,
): Promise<CheckoutCheck> {
  const problems: string[] = [];
  const waitStarted = performance.now();
  const deadline = waitStarted + options.readyTimeoutSeconds * 1_000;
  const pending = new Map(paid.map((order) => [order.id, order]));
  const ready = new Map<string, OrderDetails>();

  // One listing shows how far the kitchen is; each order is fetched once all could be done.
  // A failed call only means "not yet": what never comes right shows up as not READY.
  while (performance.now() < deadline) {
    const tickets = await call(`${gatewayUrl}/api/kitchen/tickets?status=READY`, {
      token: kitchenToken,
    }).catch(() => undefined);
    const readyTickets = tickets?.status === 200 ? TicketList.parse(tickets.body).items : [];
    if (readyTickets.length >= paid.length) break;
    await sleep(500);
  }
  const kitchenSeconds = (performance.now() - waitStarted) / 1_000;
  while (pending.size > 0) {
    await forEachLimited([...pending.values()], SWEEP_CONCURRENCY, async (order) => {
      const answer = await call(`${gatewayUrl}/api/orders/${order.id}`, {
        token: order.token,
      }).catch(() => undefined);
      const details = answer?.status === 200 ? OrderDetails.parse(answer.body) : undefined;
      if (
        details?.status === 'READY' &&
        details.payment?.status === 'CAPTURED' &&
        details.ticket?.status === 'READY'
      ) {
        pending.delete(order.id);
        ready.set(order.id, details);
      }
    });
    if (pending.size === 0 || performance.now() >= deadline) break;
    await sleep(500);
  }
  const checkedSeconds = (performance.now() - waitStarted) / 1_000;

  if (pending.size > 0) {
    problems.push(
      `${pending.size} paid orders were not READY after ${options.readyTimeoutSeconds} s (e.g. ${[...pending.keys()].slice(0, 3).join(', ')})`,
    );
  }
  const duplicates = (label: string, ids: Array<string | null | undefined>) => {
    const counts = new Map<string, number>();
    for (const id of ids) if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
    const repeated = [...counts].filter(([, count]) => count > 1).map(([id]) => id);
    if (repeated.length > 0) {
      problems.push(`${repeated.length} ${label} appear more than once (e.g. ${repeated[0]})`);
    }
  };
  duplicates('order ids', createdIds);
  duplicates(
    'payment ids of paid orders',
    paid.map((order) => order.paymentId),
  );
  duplicates(
    'payment ids of ready orders',
    [...ready.values()].map((order) => order.payment?.id),
  );
  duplicates(
    'ticket ids of ready orders',
    [...ready.values()].map((order) => order.ticket?.id),
  );
  for (const order of paid) {
    const details = ready.get(order.id);
    if (details && details.payment?.id !== order.paymentId) {
      problems.push(
        `order ${order.id} was paid with ${order.paymentId} but shows ${details.payment?.id}`,
      );
    }
  }
  if (ready.size !== paid.length) {
    problems.push(`${ready.size} orders READY, but ${paid.length} were paid`);
  }

  const allTickets = TicketList.parse(
    await expectCall(200, `${gatewayUrl}/api/kitchen/tickets`, { token: kitchenToken }),
  ).items;
  duplicates(
    'orders in kitchen tickets',
    allTickets.map((ticket) => ticket.orderId),
  );
  const paidIds = new Set(paid.map((order) => order.id));
  const unpaid = allTickets.filter((ticket) => !paidIds.has(ticket.orderId));
  if (unpaid.length > 0) {
    problems.push(
      `${unpaid.length} kitchen tickets are for orders not seen paid (e.g. ${unpaid[0]?.orderId})`,
    );
  }
  if (allTickets.length !== paid.length) {
    problems.push(`the kitchen has ${allTickets.length} tickets for ${paid.length} paid orders`);
  }

  return {
    ready: ready.size,
    kitchenSeconds,
    checkedSeconds,
    problems,
    passed: problems.length === 0,
  };
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function forEachLimited<T>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
