import { paymentApi } from '@cheesecake/contracts';
import { handle, requireService } from '@cheesecake/service-kit';
import { Router } from 'express';
import type { Payments } from './payments/payments.js';

/**
 * Who may read payments: the gateway, which adds an order's payment to the order view once the
 * order service has let the user see the order, and the order service, which looks for a
 * captured charge before cancelling (and is handed a payment's path by each charge). No other
 * service has a reason to see what happened to a customer's card.
 */
const READERS = ['gateway', 'order'];

export function paymentRoutes(payments: Payments): Router {
  const router = Router();

  handle(router, paymentApi.charge, async ({ headers, body }, { caller }) => {
    requireService(caller, ['order']);
    const { payment, created } = await payments.charge(body, headers['idempotency-key']);
    return created
      ? { status: 201, body: payment, headers: { location: `/payments/${payment.id}` } }
      : { status: 200, body: payment };
  });

  handle(router, paymentApi.listPayments, async ({ query }, { caller }) => {
    requireService(caller, READERS);
    return { status: 200, body: { items: await payments.listForOrder(query.orderId) } };
  });

  handle(router, paymentApi.getPayment, async ({ params }, { caller }) => {
    requireService(caller, READERS);
    return { status: 200, body: await payments.get(params.paymentId) };
  });

  handle(router, paymentApi.refundPayment, async ({ params }, { caller }) => {
    requireService(caller, ['order']);
    return { status: 200, body: await payments.refund(params.paymentId) };
  });

  return router;
}
