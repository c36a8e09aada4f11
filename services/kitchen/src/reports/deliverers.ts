import { type orderApi, StockLevelReport, TicketStatusReport } from '@cheesecake/contracts';
import {
  type Client,
  type Deliverer,
  deliveryContextOf,
  payloadOf,
  refusedDelivery,
} from '@cheesecake/service-kit';
import { TICKET_STATUS_DESTINATION } from './status-reports.js';
import { STOCK_LEVEL_DESTINATION } from './stock-reports.js';

/**
 * How the kitchen's outbox delivers: ticket status and stock level reports go to the order
 * service. A refusal the contract declares (4xx but 401) will not change on retry, so the
 * message is set aside; anything else (unreachable, timeout, 5xx) is thrown by the client and
 * retried by the relay.
 */
export function createDeliverers(orders: Client<typeof orderApi>): Record<string, Deliverer> {
  return {
    [TICKET_STATUS_DESTINATION]: async (message) => {
      const body = payloadOf(message, TicketStatusReport);
      const response = await orders.reportTicketStatus({ body }, deliveryContextOf(message));
      if (response.status !== 200) {
        throw refusedDelivery('order', response);
      }
    },
    [STOCK_LEVEL_DESTINATION]: async (message) => {
      const body = payloadOf(message, StockLevelReport);
      const response = await orders.reportStockLevel({ body }, deliveryContextOf(message));
      if (response.status !== 200) {
        throw refusedDelivery('order', response);
      }
    },
  };
}
