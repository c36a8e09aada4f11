import type { CreateOrderRequest, EndUser, Order } from '@cheesecake/contracts';
import { annotateSpan, newId } from '@cheesecake/service-kit';
import type { OrderDeps } from './order-deps.js';
import { recordOrderEvent } from './order-event-store.js';
import { orderEvents } from './order-events.js';
import * as store from './order-store.js';

/**
 * Stores a new order for the customer, priced from the menu (never from the client), awaiting
 * payment. A dish the menu does not have, or cannot sell now, stores nothing.
 */
export async function placeOrder(
  { db, menu }: Pick<OrderDeps, 'db' | 'menu'>,
  customer: EndUser,
  request: CreateOrderRequest,
  requestId?: string,
): Promise<Order> {
  const priced = await menu.priceLines(request.items);
  return db.transaction(async (tx) => {
    const order = await store.insertOrder(tx, {
      id: newId('ord'),
      customerId: customer.id,
      items: priced.lines,
      totalCents: priced.totalCents,
      currency: priced.currency,
      notes: request.notes ?? null,
    });
    await recordOrderEvent(tx, orderEvents.placed(order, requestId));
    annotateSpan({ 'cheesecake.order.id': order.id, 'cheesecake.order.number': order.number });
    return order;
  });
}
