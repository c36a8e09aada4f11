import type { Ticket, TicketStatusReport } from '@cheesecake/contracts';
import { enqueue, type Queryable } from '@cheesecake/service-kit';

/** The outbox destination of ticket status reports to the order service. */
export const TICKET_STATUS_DESTINATION = 'order.ticket-status';

/**
 * Promises the order service a report of the ticket's current status, in the transaction that
 * changed it: the report is sent if and only if the change is committed.
 */
export async function reportTicketStatus(
  tx: Queryable,
  ticket: Ticket,
  requestId: string,
): Promise<void> {
  const report: TicketStatusReport = {
    ticketId: ticket.id,
    orderId: ticket.orderId,
    status: ticket.status,
    reason: ticket.rejectionReason,
    occurredAt: ticket.updatedAt,
  };
  await enqueue(tx, { destination: TICKET_STATUS_DESTINATION, payload: report, requestId });
}
