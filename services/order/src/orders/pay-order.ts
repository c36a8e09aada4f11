import { createHash } from 'node:crypto';
import type {
  CreateTicketRequest,
  EndUser,
  Order,
  Payment,
  PaymentMethod,
} from '@cheesecake/contracts';
import { annotateSpan, type CallContext, enqueue } from '@cheesecake/service-kit';
import {
  InvalidOrderStateError,
  OrderAlreadyPaidError,
  OrderNotFoundError,
  PaymentDeclinedError,
} from '../errors.js';
import { destinations } from './deliverers.js';
import { type OrderDeps, refusedOurRequest } from './order-deps.js';
import { recordOrderEvent } from './order-event-store.js';
import { orderEvents } from './order-events.js';
import { orderTransitions, PAID_STATUSES, statusAfter } from './order-lifecycle.js';
import * as store from './order-store.js';
import { getOrder } from './read-orders.js';
import { requestRefund } from './refunds.js';

/** The customer's Idempotency-Key of a request, as the order service's idempotency keys saw it. */
export interface CustomerKey {
  key: string;
  /** Whether this request took the key over from an earlier one that stopped before answering. */
  resumed: boolean;
}

/**
 * Charges the order. Captured: the order is PAID and the kitchen is told to prepare it.
 * Declined: the order stays payable and the next attempt gets a new idempotency key.
 * An order no longer awaiting payment is refused (409) before anything is charged.
 * `idempotency` is the customer's Idempotency-Key, which keys the charge, when given.
 */
export async function payOrder(
  deps: OrderDeps,
  customer: EndUser,
  orderId: string,
  paymentMethod: PaymentMethod,
  call: CallContext,
  idempotency?: CustomerKey,
): Promise<Order> {
  const order = await getOrder(deps, customer, orderId);
  annotateSpan({ 'cheesecake.order.id': order.id, 'cheesecake.order.number': order.number });
  if (statusAfter('paymentCaptured', order.status) === undefined) {
    // The request that held this key stopped before its answer was kept, perhaps after
    // paying: its retry gets the answer that request would have given (decision 0014).
    if (idempotency?.resumed && PAID_STATUSES.includes(order.status)) return order;
    throw PAID_STATUSES.includes(order.status)
      ? new OrderAlreadyPaidError(order)
      : new InvalidOrderStateError(order.id, order.status, 'it is no longer awaiting payment');
  }

  const declinedBefore = await store.countDeclinedPayments(deps.db, order.id);
  const key = chargeKey(order.id, paymentMethod, {
    declinedBefore,
    customer,
    clientKey: idempotency?.key,
  });
  const payment = await charge(deps, order, paymentMethod, key, call);

  switch (payment.status) {
    case 'CAPTURED':
      return recordCapture(deps, order.id, payment, call.requestId);
    case 'DECLINED':
      await deps.db.transaction(async (tx) => {
        if (await store.recordDecline(tx, order.id, declinedBefore)) {
          await recordOrderEvent(
            tx,
            orderEvents.paymentDeclined(order.id, payment, call.requestId),
          );
        }
      });
      throw new PaymentDeclinedError(payment.id, payment.declineCode);
    case 'REFUNDED':
      throw new InvalidOrderStateError(
        order.id,
        order.status,
        `its payment ${payment.id} has been refunded`,
      );
  }
}

async function charge(
  { payments }: OrderDeps,
  order: Order,
  paymentMethod: PaymentMethod,
  idempotencyKey: string,
  call: CallContext,
): Promise<Payment> {
  const answer = await payments.charge(
    {
      headers: { 'idempotency-key': idempotencyKey },
      body: {
        orderId: order.id,
        amountCents: order.totalCents,
        currency: order.currency,
        paymentMethod,
      },
    },
    call,
  );
  if (answer.status === 200 || answer.status === 201) return answer.body;
  throw refusedOurRequest('payment', answer);
}

/**
 * Makes the order PAID by this payment and promises the kitchen its ticket, in one
 * transaction. An order cancelled while its card was charged keeps its status, and the
 * payment is given back.
 */
async function recordCapture(
  { db, outbox }: OrderDeps,
  orderId: string,
  payment: Payment,
  requestId: string | undefined,
): Promise<Order> {
  const outcome = await db.transaction(async (tx) => {
    const paid = await store.moveOrder(tx, orderId, orderTransitions.paymentCaptured, {
      paymentId: payment.id,
    });
    if (paid) {
      await recordOrderEvent(tx, orderEvents.paymentCaptured(paid, requestId));
      await enqueue(tx, {
        destination: destinations.createTicket,
        payload: ticketFor(paid),
        requestId,
      });
      return { order: paid, accepted: true };
    }
    const current = await store.findOrder(tx, orderId);
    if (!current) throw new OrderNotFoundError(orderId);
    if (current.paymentId === payment.id) return { order: current, accepted: true };
    await requestRefund(tx, { ...current, paymentId: payment.id }, requestId);
    return { order: current, accepted: false };
  });
  outbox.wake();
  if (!outcome.accepted) {
    throw new InvalidOrderStateError(
      orderId,
      outcome.order.status,
      `it changed while the card was charged; payment ${payment.id} will be refunded`,
    );
  }
  return outcome.order;
}

/**
 * The payment service's idempotency key for a charge (decision 0003). Without a key from the
 * customer it is the attempt, stable until a decline is recorded, so a retry after a timeout is
 * never charged twice. With one it is the customer's key: their retry is the same charge even
 * when the attempt count has moved meanwhile (another request's decline recorded), and their
 * new key is a new attempt. Hashed with the customer's id, since the key is the customer's own
 * text: up to 255 characters of anything, not to be passed on as it is, and theirs alone.
 */
function chargeKey(
  orderId: string,
  paymentMethod: PaymentMethod,
  attempt: { declinedBefore: number; customer: EndUser; clientKey: string | undefined },
): string {
  if (attempt.clientKey === undefined) {
    return `${orderId}:attempt-${attempt.declinedBefore + 1}:${paymentMethod}`;
  }
  const hashed = createHash('sha256')
    .update(JSON.stringify([attempt.customer.id, attempt.clientKey]))
    .digest('hex')
    .slice(0, 32);
  return `${orderId}:key-${hashed}:${paymentMethod}`;
}

function ticketFor(order: Order): CreateTicketRequest {
  return {
    orderId: order.id,
    orderNumber: order.number,
    items: order.items.map(({ menuItemId, name, quantity }) => ({ menuItemId, name, quantity })),
    notes: order.notes,
  };
}
