import type { TicketStatusReport } from '@cheesecake/contracts';
import { OrderNotFoundError } from '../errors.js';
import type { OrderDeps } from './order-deps.js';
import { hasKitchenStatus, recordOrderEvent } from './order-event-store.js';
import { orderEventOfTicketStatus, REFUNDING_EVENTS, statusAfter } from './order-lifecycle.js';
import * as store from './order-store.js';
import { requestRefund } from './refunds.js';
import { sagaSteps } from './saga-steps.js';

/**
 * Applies the kitchen's report of a ticket status, forward only: a late or repeated report
 * changes nothing. A rejected ticket refunds the payment. Resolves to whether the order changed.
 */
export async function applyTicketReport(
  { db, outbox }: Pick<OrderDeps, 'db' | 'outbox'>,
  report: TicketStatusReport,
  requestId?: string,
): Promise<boolean> {
  const outcome = await db.transaction(async (tx) => {
    const order = await store.findOrder(tx, report.orderId, { lock: true });
    if (!order) throw new OrderNotFoundError(report.orderId);

    const event = orderEventOfTicketStatus[report.status];
    const nextStatus = event && statusAfter(event, order.status);
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
        sagaSteps.kitchenStatus(report, nextStatus !== undefined, requestId),
      );
    }
    if (!applied) return { applied: false, refunding: false };

    const refunding =
      nextStatus !== undefined && event !== undefined && REFUNDING_EVENTS.includes(event);
    if (refunding) await requestRefund(tx, saved, requestId);
    return { applied: true, refunding };
  });
  if (outcome.refunding) outbox.wake();
  return outcome.applied;
}
