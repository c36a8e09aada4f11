import type { EndUser, Order, Payment } from '@cheesecake/contracts';
import type { CallContext } from '@cheesecake/service-kit';
import { InvalidOrderStateError } from '../errors.js';
import { type OrderDeps, refusedOurRequest } from './order-deps.js';
import { recordOrderEvent } from './order-event-store.js';
import { orderEvents } from './order-events.js';
import { orderTransitions, statusAfter } from './order-lifecycle.js';
import * as store from './order-store.js';
import { getOrder } from './read-orders.js';
import { requestRefund } from './refunds.js';

/**
 * Cancels the order: an unpaid one at once; a paid one if the kitchen can still cancel its
 * ticket, then refunds the payment. Once preparation has started it is too late.
 */
export async function cancelOrder(
  deps: OrderDeps,
  customer: EndUser,
  orderId: string,
  call: CallContext,
): Promise<Order> {
  const order = await getOrder(deps, customer, orderId);
  if (statusAfter('cancelledUnpaid', order.status) === undefined) {
    return cancelPaidOrder(deps, order, call);
  }
  // A charge may have been captured without the order hearing of it (its answer timed out,
  // or this service stopped before recording it): cancelling must give that money back.
  const capture = await findCapture(deps, order.id, call);
  const cancelled = await deps.db.transaction(async (tx) => {
    const cancelled = await store.moveOrder(tx, order.id, orderTransitions.cancelledUnpaid, {
      paymentId: capture?.id ?? null,
    });
    if (cancelled) await recordOrderEvent(tx, orderEvents.cancelled(cancelled, call.requestId));
    if (cancelled && capture) await requestRefund(tx, cancelled, call.requestId);
    return cancelled;
  });
  if (!cancelled) {
    // A payment was recorded between the read and the update: cancel it as a paid order.
    return cancelPaidOrder(deps, await getOrder(deps, customer, orderId), call);
  }
  if (capture) deps.outbox.wake();
  return cancelled;
}

/** Asks the kitchen to drop the ticket, then cancels the order and refunds its payment. */
async function cancelPaidOrder(deps: OrderDeps, order: Order, call: CallContext): Promise<Order> {
  if (statusAfter('cancelledPaid', order.status) === undefined) {
    throw new InvalidOrderStateError(order.id, order.status, 'it can no longer be cancelled');
  }
  const answer = await deps.kitchen.cancelTicketForOrder(
    { params: { orderId: order.id }, body: { orderNumber: order.number } },
    call,
  );
  if (answer.status === 409) {
    throw new InvalidOrderStateError(order.id, order.status, 'preparation has started');
  }
  if (answer.status !== 200) throw refusedOurRequest('kitchen', answer);

  const cancelled = await deps.db.transaction(async (tx) => {
    const cancelled = await store.moveOrder(tx, order.id, orderTransitions.cancelledPaid);
    if (cancelled) {
      await recordOrderEvent(tx, orderEvents.cancelled(cancelled, call.requestId));
      await requestRefund(tx, cancelled, call.requestId);
    }
    return cancelled;
  });
  if (!cancelled) {
    const current = await store.findOrder(deps.db, order.id);
    // The kitchen's report of the cancellation got here first and cancelled the order.
    if (current?.status === 'CANCELLED') return current;
    throw new InvalidOrderStateError(
      order.id,
      current?.status ?? order.status,
      'it changed while its ticket was being cancelled',
    );
  }
  deps.outbox.wake();
  return cancelled;
}

/** The captured payment of an order, if the payment service has one. */
async function findCapture(
  { payments }: OrderDeps,
  orderId: string,
  call: CallContext,
): Promise<Payment | undefined> {
  const answer = await payments.listPayments({ query: { orderId } }, call);
  if (answer.status !== 200) throw refusedOurRequest('payment', answer);
  return answer.body.items.find((payment) => payment.status === 'CAPTURED');
}
