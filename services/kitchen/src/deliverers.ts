import { type Client, type orderApi, TicketStatusReport } from '@cheesecake/contracts';
import { type Deliverer, PermanentDeliveryError, refusedDelivery } from '@cheesecake/service-kit';
import { TICKET_STATUS_DESTINATION } from './status-reports.js';

/**
 * How the kitchen's outbox delivers: ticket status reports go to the order service. A refusal
 * the contract declares (4xx but 401) will not change on retry, so the message is set aside; anything
 * else (unreachable, timeout, 5xx) is thrown by the client and retried by the relay.
 */
export function createDeliverers(orders: Client<typeof orderApi>): Record<string, Deliverer> {
  return {
    [TICKET_STATUS_DESTINATION]: async (message) => {
      const report = TicketStatusReport.safeParse(message.payload);
      if (!report.success) {
        throw new PermanentDeliveryError(`not a ticket status report: ${report.error.message}`);
      }
      const response = await orders.reportTicketStatus(
        { body: report.data },
        { requestId: message.requestId ?? undefined },
      );
      if (response.status !== 200) {
        throw refusedDelivery(
          'order',
          response.status,
          response.body.detail ?? response.body.title,
        );
      }
    },
  };
}
