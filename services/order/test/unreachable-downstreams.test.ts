import { Order } from '@cheesecake/contracts';
import type { OutboxRelay } from '@cheesecake/service-kit';
import {
  expectProblem,
  failingUrl,
  NETWORK_FAILURES,
  type NetworkFailure,
} from '@cheesecake/service-kit/testing';
import type { Express } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cancelOrder,
  createTestApp,
  deliverDueMessages,
  newCustomerId,
  outboxMessages,
  payOrder,
  placeOrder,
  storedOrder,
  useOrderService,
} from './support.js';

// The app whose downstreams are healthy, as the tests' orders are placed and paid.
const healthy = useOrderService({ payment: true, kitchen: { cancelTicket: 'cancel' } });
let cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
  cleanups = [];
});

/** The app with `service` failing as `failure` says, with the case's budget, and the other one healthy. */
async function appWith(
  { failure, timeoutMs }: { failure: NetworkFailure; timeoutMs: number },
  service: 'payment' | 'kitchen',
): Promise<{ app: Express; relay: OutboxRelay }> {
  const failing = await failingUrl(failure, service);
  cleanups.push(failing.close);
  const calling = createTestApp(healthy.db, {
    paymentUrl: service === 'payment' ? failing.url : healthy.payment.url,
    kitchenUrl: service === 'kitchen' ? failing.url : healthy.kitchen.url,
    timeoutMs,
  });
  cleanups.push(() => calling.statusNotifications.stop());
  return calling;
}

const paidOrder = async (customer: string) => {
  const placed = await placeOrder(healthy.app, customer);
  const paid = Order.parse((await payOrder(healthy.app, customer, placed.id, 'tok_visa')).body);
  // The ticket goes to the healthy kitchen now, so only the messages a test causes remain.
  await deliverDueMessages(healthy.relay);
  return paid;
};

describe.each(NETWORK_FAILURES)(
  'a downstream that fails: $failure',
  ({ failure, timeoutMs, status, code, reason }) => {
    it(`answers a payment ${status} naming the payment service, and the order stays awaiting payment`, async () => {
      const customer = newCustomerId();
      const placed = await placeOrder(healthy.app, customer);
      const { app: withoutPayments } = await appWith({ failure, timeoutMs }, 'payment');

      const res = await payOrder(withoutPayments, customer, placed.id, 'tok_visa');

      const problem = expectProblem(res, status, code);
      expect(res.headers['x-failed-service']).toBe('payment');
      expect(problem.detail).toMatch(/^The payment service /);
      expect(problem.detail).toMatch(reason);
      expect((await storedOrder(healthy.db, placed.id)).status).toBe('PENDING_PAYMENT');
      expect(await outboxMessages(healthy.db, placed.id)).toEqual([]);
    });

    it(`answers cancelling an unpaid order ${status} naming the payment service, which it asks for a lost capture`, async () => {
      const customer = newCustomerId();
      const placed = await placeOrder(healthy.app, customer);
      const { app: withoutPayments } = await appWith({ failure, timeoutMs }, 'payment');

      const res = await cancelOrder(withoutPayments, customer, placed.id);

      const problem = expectProblem(res, status, code);
      expect(res.headers['x-failed-service']).toBe('payment');
      expect(problem.detail).toMatch(reason);
      expect((await storedOrder(healthy.db, placed.id)).status).toBe('PENDING_PAYMENT');
      expect(await outboxMessages(healthy.db, placed.id)).toEqual([]);
    });

    it(`answers cancelling a paid order ${status} naming the kitchen, and the order stays paid`, async () => {
      const customer = newCustomerId();
      const paid = await paidOrder(customer);
      const { app: withoutKitchen } = await appWith({ failure, timeoutMs }, 'kitchen');

      const res = await cancelOrder(withoutKitchen, customer, paid.id);

      const problem = expectProblem(res, status, code);
      expect(res.headers['x-failed-service']).toBe('kitchen');
      expect(problem.detail).toMatch(/^The kitchen service /);
      expect(problem.detail).toMatch(reason);
      expect((await storedOrder(healthy.db, paid.id)).status).toBe('PAID');
      const refunds = (await outboxMessages(healthy.db, paid.id)).filter(
        (message) => message.destination === 'payment.refund',
      );
      expect(refunds).toEqual([]);
    });

    it('cancels a paid order with the payment service failing, and keeps its refund until it can be delivered', async () => {
      const customer = newCustomerId();
      const paid = await paidOrder(customer);
      const { app: withoutPayments, relay: failingRelay } = await appWith(
        { failure, timeoutMs },
        'payment',
      );

      const res = await cancelOrder(withoutPayments, customer, paid.id);
      await failingRelay.deliverDueMessages();
      const [kept] = await healthy.db.query<{
        status: string;
        attempts: number;
        last_error: string;
      }>(
        `select status, attempts, last_error from outbox
       where destination = 'payment.refund' and payload ->> 'orderId' = $1`,
        [paid.id],
      );
      // Due again at once, rather than after the relay's backoff, to deliver it here.
      await healthy.db.query(
        `update outbox set next_attempt_at = now() where payload ->> 'orderId' = $1`,
        [paid.id],
      );
      await deliverDueMessages(healthy.relay);

      expect(Order.parse(res.body).status).toBe('CANCELLED');
      expect(kept).toMatchObject({ status: 'pending', attempts: 1 });
      expect(kept?.last_error).toMatch(/^The payment service /);
      expect(kept?.last_error).toMatch(reason);
      expect(healthy.payment.payments.find((p) => p.id === paid.paymentId)?.status).toBe(
        'REFUNDED',
      );
    });
  },
);
