import { randomUUID } from 'node:crypto';
import { Order, OrderDetails, type Payment, PaymentList, TicketList } from '@cheesecake/contracts';
import { signInternalToken } from '@cheesecake/service-kit';
import { expect } from 'vitest';
import { type Answer, eventually, expectBody, type GatewayClient } from '../support/client.js';
import type { Stack } from '../support/stack.js';

// The services' development secret, which both stacks use unless INTERNAL_TOKEN_SECRET is
// set: the checks below read the payment and kitchen services directly, as the gateway would.
const INTERNAL_TOKEN_SECRET =
  process.env.INTERNAL_TOKEN_SECRET ?? 'cheesecake-internal-dev-secret-change-me';

/**
 * The headers of a call from one service to another, without a user, as a relay sends it:
 * its credential is good for `method` and `path` (the query does not count) only.
 */
export async function asService(
  from: string,
  to: string,
  method: string,
  path: string,
): Promise<Record<string, string>> {
  const token = await signInternalToken({
    secret: INTERNAL_TOKEN_SECRET,
    issuer: from,
    audience: to,
    method,
    path,
  });
  return { authorization: `Bearer ${token}` };
}

/** The headers of a call to `service` as the gateway, without a user. */
export const asGateway = (service: string, method: string, path: string) =>
  asService('gateway', service, method, path);

/** Every payment the payment service holds for an order, declined and refunded ones too. */
export async function paymentsOf(stack: Stack, orderId: string): Promise<Payment[]> {
  const path = `/payments?orderId=${orderId}`;
  const answer = await stack.callService('payment', path, await asGateway('payment', 'GET', path));
  return expectBody(answer, 200, PaymentList).items;
}

/** Every kitchen ticket for an order. */
export async function ticketsOf(stack: Stack, orderId: string) {
  const path = `/tickets?orderId=${orderId}`;
  const answer = await stack.callService('kitchen', path, await asGateway('kitchen', 'GET', path));
  return expectBody(answer, 200, TicketList).items;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const FIRST_RETRY_MS = 250;
const LONGEST_RETRY_MS = 5_000;

/**
 * Sends a request the way a careful client does: with one Idempotency-Key for all its
 * attempts, again and again while the answer is a 5xx, a 408, a 409 "still in flight", a 429 or no
 * answer at all (a process was killed), waiting at least as long as `Retry-After` asks, and
 * a random share of a doubling backoff, so that many clients do not retry in step; until a
 * final answer, or the deadline, which only bounds a hang.
 */
export async function sendUntilAnswered(
  client: GatewayClient,
  path: string,
  body: unknown,
  deadlineMs = 480_000,
): Promise<Answer> {
  const key = randomUUID();
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 0; ; attempt += 1) {
    const answer = await client
      .send('POST', path, body, { 'idempotency-key': key })
      .catch(() => undefined);
    const retry =
      answer === undefined ||
      answer.status >= 500 ||
      // The server gave up waiting for the request (a starved machine): safe to send again.
      answer.status === 408 ||
      answer.status === 429 ||
      (answer.status === 409 &&
        (answer.body as { type?: string }).type ===
          'urn:cheesecake:problem:idempotency-request-in-flight');
    if (!retry) return answer;
    if (Date.now() > deadline) throw new Error(`no final answer for POST ${path} in time`);
    const retryAfterSeconds = Number(answer?.headers.get('retry-after'));
    const backoff = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt) * Math.random();
    await pause((retryAfterSeconds > 0 ? retryAfterSeconds * 1_000 : 0) + Math.max(backoff, 50));
  }
}

/** Places an order of one cheesecake and pays for it, retrying as a careful client does. */
export async function checkout(customer: GatewayClient): Promise<Order> {
  const placed = expectBody(
    await sendUntilAnswered(customer, '/api/orders', {
      items: [{ menuItemId: 'new-york-cheesecake', quantity: 1 }],
    }),
    201,
    Order,
  );
  const paid = await sendUntilAnswered(customer, `/api/orders/${placed.id}/payment`, {
    paymentMethod: 'tok_visa',
  });
  expectBody(paid, 200, Order);
  return placed;
}

/**
 * Waits until the order is READY, then checks what the promise says: exactly one captured
 * payment of its total, none other captured, and exactly one ticket, READY.
 */
export async function expectReadyWithOneCaptureAndOneTicket(
  stack: Stack,
  customer: GatewayClient,
  order: Order,
): Promise<void> {
  const ready = await eventually(
    async () => customer.get(`/api/orders/${order.id}`).catch(() => undefined),
    (answer) => (answer?.body as OrderDetails | undefined)?.status === 'READY',
    90_000,
  );
  expect(OrderDetails.parse(ready?.body).status).toBe('READY');
  const captured = (await paymentsOf(stack, order.id)).filter(
    (payment) => payment.status === 'CAPTURED',
  );
  expect(captured).toHaveLength(1);
  expect(captured[0]?.amountCents).toBe(order.totalCents);
  const tickets = await ticketsOf(stack, order.id);
  expect(tickets.map((ticket) => ticket.status)).toEqual(['READY']);
}
