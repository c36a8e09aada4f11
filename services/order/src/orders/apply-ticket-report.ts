import type { TicketStatusReport } from '@cheesecake/contracts';
import { OrderNotFoundError } from '../errors.js';
import type { OrderDeps } from './order-deps.js';
import { hasKitchenStatus, paidAt, recordOrderEvent } from './order-event-store.js';
import { orderEvents } from './order-events.js';
import { REFUNDING_TRANSITIONS, statusAfter, transitionOfTicketStatus } from './order-lifecycle.js';
import * as store from './order-store.js';
import { requestRefund } from './refunds.js';

/**
 * Applies the kitchen's report of a ticket status, forward only: a late or repeated report
 * changes nothing. A rejected ticket refunds the payment. Resolves to whether the order changed.
 */
export async function applyTicketReport(
  { db, outbox, sagaMetrics }: Pick<OrderDeps, 'db' | 'outbox' | 'sagaMetrics'>,
  report: TicketStatusReport,
  requestId?: string,
): Promise<boolean> {
  const outcome = await db.transaction(async (tx) => {
    const order = await store.findOrder(tx, report.orderId, { lock: true });
    if (!order) throw new OrderNotFoundError(report.orderId);

    const transition = transitionOfTicketStatus[report.status];
    const nextStatus = transition && statusAfter(transition, order.status);
    // A late (QUEUED after PREPARING, say) or repeated report leaves the order as it is.
    const applied = nextStatus !== undefined || order.ticketId === null;
    const saved = applied
      ? await store.saveTicketProgress(tx, order.id, {
          status: nextStatus ?? order.status,
          ticketId: order.ticketId ?? report.ticketId,
        })
      : order;
    // The timeline shows each status the kitchen reported once, a late one too.
    if (!(await hasKitchenStatus(tx, order.id, report.status))) {
      await recordOrderEvent(
        tx,
        orderEvents.kitchenStatus(report, nextStatus !== undefined, requestId),
      );
    }
    if (!applied) return { applied: false, refunding: false, paidAt: undefined };

    const refunding =
      nextStatus !== undefined &&
      transition !== undefined &&
      REFUNDING_TRANSITIONS.includes(transition);
    if (refunding) await requestRefund(tx, saved, requestId);
    const ready = nextStatus === 'READY' ? await paidAt(tx, order.id) : undefined;
    return { applied: true, refunding, paidAt: ready };
  });
  if (outcome.refunding) outbox.wake();
  if (outcome.paidAt) sagaMetrics.orderReady(outcome.paidAt);
  return outcome.applied;
}
