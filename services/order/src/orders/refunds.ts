import type { Order } from '@cheesecake/contracts';
import { enqueue, type Queryable } from '@cheesecake/service-kit';
import { destinations, type RefundPaymentMessage } from './deliverers.js';
import { recordOrderEvent } from './order-event-store.js';
import { orderEvents } from './order-events.js';

/** Queues the refund of the order's payment in the caller's transaction, and records the step. */
export async function requestRefund(
  tx: Queryable,
  order: Order,
  requestId: string | undefined,
): Promise<void> {
  if (!order.paymentId) throw new Error(`Order ${order.id} has no payment to refund`);
  const payload: RefundPaymentMessage = { paymentId: order.paymentId, orderId: order.id };
  await enqueue(tx, { destination: destinations.refundPayment, payload, requestId });
  await recordOrderEvent(tx, orderEvents.refundRequested(order.id, order.paymentId, requestId));
}
