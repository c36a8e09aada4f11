import { FaultSettings, Order } from '@cheesecake/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Answer,
  eventually,
  expectBody,
  expectProblem,
  GatewayClient,
} from '../support/client.js';
import { type Stack, startStack } from '../support/stack.js';
import { asGateway, paymentsOf } from './support.js';

let stack: Stack;
let alice: GatewayClient;
let ada: GatewayClient;

beforeAll(async () => {
  stack = await startStack();
  const anonymous = new GatewayClient(stack.gatewayUrl);
  [alice, ada] = await Promise.all([anonymous.as('alice'), anonymous.as('ada')]);
});
// Fault settings stay in the payment service's database, restarts included: a test that
// stopped with them on must not hand them to the next one on the same stack (compose's).
afterAll(async () => {
  await ada?.put('/api/ops/faults/payment', { failureRate: 0, latencyMs: 0 });
  await stack?.stop();
});

// Longer than the order service's 5 s budget for a call to the payment service.
const SLOWER_THAN_THE_BUDGET = { failureRate: 0, latencyMs: 6_000 };
const NO_FAULTS = { failureRate: 0, latencyMs: 0 };

const pay = (order: Order) =>
  alice.post(`/api/orders/${order.id}/payment`, { paymentMethod: 'tok_visa' });

describe('a payment service slower than the budget', () => {
  it('answers 504, then fails fast with 503 and Retry-After, and recovers once it is quick again', async () => {
    const order = expectBody(
      await alice.post('/api/orders', { items: [{ menuItemId: 'tiramisu', quantity: 1 }] }),
      201,
      Order,
    );
    const slowed = await ada.put('/api/ops/faults/payment', SLOWER_THAN_THE_BUDGET);
    expect(FaultSettings.parse(slowed.body)).toEqual(SLOWER_THAN_THE_BUDGET);

    const first = await pay(order);
    // Each attempt waits out the budget until the breaker has seen enough of them.
    const attempts: Answer[] = [first];
    while (attempts.at(-1)?.status === 504 && attempts.length < 10) attempts.push(await pay(order));
    const failingFast = attempts.at(-1);
    const menuMeanwhile = await alice.get('/api/menu');
    const fixed = await ada.put('/api/ops/faults/payment', NO_FAULTS);
    const recovered = await eventually(
      () => pay(order),
      (answer) => answer.status === 200,
      60_000,
    );
    const faultsCounted = await stack.callService(
      'payment',
      '/metrics',
      await asGateway('payment', 'GET', '/metrics'),
    );

    expectProblem(first, 504, 'gateway-timeout');
    expect(attempts.length).toBeLessThan(10);
    expectProblem(failingFast as Answer, 503, 'service-unavailable');
    expect(Number(failingFast?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(menuMeanwhile.status).toBe(200);
    expect(FaultSettings.parse(fixed.body)).toEqual(NO_FAULTS);
    expect(expectBody(recovered, 200, Order).status).toBe('PAID');
    const captured = (await paymentsOf(stack, order.id)).filter((p) => p.status === 'CAPTURED');
    expect(captured).toHaveLength(1);
    // The injected latency shows in the payment service's metrics.
    expect(String(faultsCounted.body)).toMatch(/^injected_faults_total\{kind="latency"\} [1-9]/m);
  });
});
