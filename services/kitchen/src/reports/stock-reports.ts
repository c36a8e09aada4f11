import type { StockLevelReport } from '@cheesecake/contracts';
import { enqueue, type Queryable } from '@cheesecake/service-kit';

/** The outbox destination of stock level reports to the order service. */
export const STOCK_LEVEL_DESTINATION = 'order.stock-level';

/**
 * Promises the order service a report of a dish's stock, in the transaction that changed it,
 * so the menu's availability follows the kitchen's stock.
 */
export async function reportStockLevel(
  tx: Queryable,
  level: StockLevelReport,
  requestId: string,
): Promise<void> {
  await enqueue(tx, { destination: STOCK_LEVEL_DESTINATION, payload: level, requestId });
}
