import type {
  EndUser,
  ListOrdersQuery,
  Order,
  OrderPage,
  OrderTimeline,
} from '@cheesecake/contracts';
import { z } from 'zod';
import { InvalidCursorError, OrderNotFoundError } from '../errors.js';
import type { OrderDeps } from './order-deps.js';
import { listOrderEvents } from './order-event-store.js';
import * as store from './order-store.js';

/** One order, for its owner, the kitchen or an admin; to anyone else it does not exist. */
export async function getOrder(
  { db }: Pick<OrderDeps, 'db'>,
  user: EndUser,
  orderId: string,
): Promise<Order> {
  const order = await store.findOrder(db, orderId);
  if (!order || (user.role === 'customer' && order.customerId !== user.id)) {
    throw new OrderNotFoundError(orderId);
  }
  return order;
}

/** A page of orders, newest first: a customer's own, or everyone's for the kitchen and admins. */
export async function listOrders(
  { db }: Pick<OrderDeps, 'db'>,
  user: EndUser,
  query: ListOrdersQuery,
): Promise<OrderPage> {
  const orders = await store.listOrders(db, {
    customerId: user.role === 'customer' ? user.id : undefined,
    status: query.status,
    beforeNumber: query.cursor === undefined ? undefined : readCursor(query.cursor),
    // One more than asked tells whether there is a next page.
    limit: query.limit + 1,
  });
  const items = orders.slice(0, query.limit);
  const last = items.at(-1);
  return { items, nextCursor: orders.length > query.limit && last ? cursorAfter(last) : null };
}

/** The saga of an order as it happened, oldest step first, for whoever may see the order. */
export async function getTimeline(
  deps: Pick<OrderDeps, 'db'>,
  user: EndUser,
  orderId: string,
): Promise<OrderTimeline> {
  const order = await getOrder(deps, user, orderId);
  return {
    orderId: order.id,
    orderNumber: order.number,
    steps: await listOrderEvents(deps.db, order.id),
  };
}

/** A list cursor: the number below which the next page starts, opaque to clients. */
const Cursor = z.strictObject({ before: z.int().min(1).max(2_147_483_647) });

function cursorAfter(order: Order): string {
  return Buffer.from(JSON.stringify({ before: order.number })).toString('base64url');
}

function readCursor(cursor: string): number {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))).before;
  } catch {
    throw new InvalidCursorError();
  }
}
