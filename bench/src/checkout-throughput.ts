import { setTimeout as sleep } from 'node:timers/promises';
import { Order } from '@cheesecake/contracts';
import { type Answer, call, expectCall, signIn } from './api.js';
import { type CheckoutCheck, type CheckoutLoad, checkEveryPaidOrder } from './checkout-check.js';
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
// A failed request answers fast; its client pauses before the next rather than spin.
const PAUSE_AFTER_FAILURE_MS = 100;

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

  const load = await checkOutUntilTimeIsUp(gatewayUrl, tokens, options);
  console.log(
    `checkout: ${load.paid.length} orders created and paid in ${load.elapsedSeconds.toFixed(1)} s by ${options.clients} clients; checking them`,
  );

  const check = await checkEveryPaidOrder(gatewayUrl, kai, load, options.readyTimeoutSeconds);
  const failed = Object.values(load.failures).reduce((sum, count) => sum + count, 0);
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
    elapsedSeconds: load.elapsedSeconds,
    created: load.createdIds.length,
    paid: load.paid.length,
    checkoutsPerSecond: load.paid.length / load.elapsedSeconds,
    latency: {
      create: percentiles(load.latencies.create),
      pay: percentiles(load.latencies.pay),
      checkout: percentiles(load.latencies.checkout),
    },
    failures: load.failures,
    check,
  };
}

/** Every client creates and pays orders in a loop until the time is up. */
async function checkOutUntilTimeIsUp(
  gatewayUrl: string,
  tokens: string[],
  options: CheckoutOptions,
): Promise<CheckoutLoad> {
  const load: CheckoutLoad = {
    createdIds: [],
    paid: [],
    failures: {},
    latencies: { create: [], pay: [], checkout: [] },
    elapsedSeconds: 0,
  };
  const attempt = async (request: string, expected: number, send: () => Promise<Answer>) => {
    let outcome: string;
    try {
      const answer = await send();
      if (answer.status === expected) return Order.parse(answer.body);
      outcome = String(answer.status);
    } catch (error) {
      outcome = error instanceof Error ? error.name : 'error';
    }
    const key = `${request}: ${outcome}`;
    load.failures[key] = (load.failures[key] ?? 0) + 1;
    return undefined;
  };
  const post = (token: string, path: string, body: unknown) => () =>
    call(`${gatewayUrl}${path}`, { method: 'POST', token, body });

  const started = performance.now();
  const deadline = started + options.durationSeconds * 1_000;
  const client = async (token: string) => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const items = [{ menuItemId: DISH, quantity: 1 }];
      const order = await attempt('POST /api/orders', 201, post(token, '/api/orders', { items }));
      if (!order) {
        await sleep(PAUSE_AFTER_FAILURE_MS);
        continue;
      }
      load.createdIds.push(order.id);
      const t1 = performance.now();
      const paidOrder = await attempt(
        'POST /api/orders/{id}/payment',
        200,
        post(token, `/api/orders/${order.id}/payment`, { paymentMethod: 'tok_visa' }),
      );
      if (!paidOrder) {
        await sleep(PAUSE_AFTER_FAILURE_MS);
        continue;
      }
      const t2 = performance.now();
      load.paid.push({ id: order.id, paymentId: paidOrder.paymentId, token });
      load.latencies.create.push(t1 - t0);
      load.latencies.pay.push(t2 - t1);
      load.latencies.checkout.push(t2 - t0);
    }
  };
  // Each client finishes the checkout it has begun, so no payment is cut off mid-flight.
  await Promise.all(
    Array.from({ length: options.clients }, (_, i) => client(tokens[i % 2] as string)),
  );
  load.elapsedSeconds = (performance.now() - started) / 1_000;
  return load;
}
