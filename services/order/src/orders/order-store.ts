import type { Order, OrderLine, OrderStatus } from '@cheesecake/contracts';
import {
  lockClause,
  type Queryable,
  type ReadOptions,
  type Transition,
} from '@cheesecake/service-kit';

interface OrderRow {
  id: string;
  number: number;
  customer_id: string;
  status: OrderStatus;
  items: OrderLine[];
  total_cents: number;
  currency: string;
  notes: string | null;
  payment_id: string | null;
  ticket_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, number, customer_id, status, items, total_cents, currency, notes,
  payment_id, ticket_id, created_at, updated_at`;

/** Stores a new order, awaiting payment, and returns it with its number. */
export async function insertOrder(
  db: Queryable,
  order: {
    id: string;
    customerId: string;
    items: OrderLine[];
    totalCents: number;
    currency: string;
    notes: string | null;
  },
): Promise<Order> {
  const [row] = await db.query<OrderRow>(
    `insert into orders (id, customer_id, status, items, total_cents, currency, notes)
     values ($1, $2, 'PENDING_PAYMENT', $3::jsonb, $4, $5, $6)
     returning ${COLUMNS}`,
    [
      order.id,
      order.customerId,
      JSON.stringify(order.items),
      order.totalCents,
      order.currency,
      order.notes,
    ],
  );
  return toOrder(required(row));
}

/** One order; with `lock`, locked until the transaction ends. */
export async function findOrder(
  db: Queryable,
  id: string,
  options: ReadOptions = {},
): Promise<Order | undefined> {
  const [row] = await db.query<OrderRow>(
    `select ${COLUMNS} from orders where id = $1${lockClause(options)}`,
    [id],
  );
  return row && toOrder(row);
}

/** How many orders are in each status; a status no order is in is left out. */
export async function countOrdersByStatus(
  db: Queryable,
): Promise<{ status: OrderStatus; count: number }[]> {
  return db.query<{ status: OrderStatus; count: number }>(
    `select status, count(*)::int as count from orders group by status`,
  );
}

/** How many charges of this order were declined; the next attempt is one more. */
export async function countDeclinedPayments(db: Queryable, id: string): Promise<number> {
  const [row] = await db.query<{ declined_payments: number }>(
    'select declined_payments from orders where id = $1',
    [id],
  );
  return row?.declined_payments ?? 0;
}

/** What to list: whose orders, in which status, after which page. */
export interface OrderFilter {
  customerId?: string | undefined;
  status?: OrderStatus | undefined;
  /** Only orders numbered below this: the keyset of the next page. */
  beforeNumber?: number | undefined;
  limit: number;
}

/** Orders matching the filter, newest (highest number) first. */
export async function listOrders(db: Queryable, filter: OrderFilter): Promise<Order[]> {
  const rows = await db.query<OrderRow>(
    `select ${COLUMNS} from orders
     where ($1::text is null or customer_id = $1)
       and ($2::text is null or status = $2)
       and ($3::int is null or number < $3)
     order by number desc
     limit $4`,
    [filter.customerId ?? null, filter.status ?? null, filter.beforeNumber ?? null, filter.limit],
  );
  return rows.map(toOrder);
}

/**
 * Moves the order along `transition` if its status is one the transition starts from, and
 * records its payment when one is given; undefined when the order was in another status.
 */
export async function moveOrder(
  db: Queryable,
  id: string,
  transition: Transition<OrderStatus>,
  changes: { paymentId?: string | null } = {},
): Promise<Order | undefined> {
  const [row] = await db.query<OrderRow>(
    `update orders set status = $3, payment_id = coalesce($4, payment_id), updated_at = now()
     where id = $1 and status = any($2::text[])
     returning ${COLUMNS}`,
    [id, transition.from, transition.to, changes.paymentId ?? null],
  );
  return row && toOrder(row);
}

/**
 * Counts a declined attempt, once: only if the count is still what the attempt was made
 * with, so a repeated answer for the same attempt does not move the next key on twice.
 * Resolves to whether it counted this time.
 */
export async function recordDecline(
  db: Queryable,
  id: string,
  declinedBefore: number,
): Promise<boolean> {
  const counted = await db.query(
    `update orders set declined_payments = declined_payments + 1, updated_at = now()
     where id = $1 and declined_payments = $2
     returning id`,
    [id, declinedBefore],
  );
  return counted.length > 0;
}

/** Sets the status and ticket id of an order the caller has locked. */
export async function saveTicketProgress(
  db: Queryable,
  id: string,
  progress: { status: OrderStatus; ticketId: string },
): Promise<Order> {
  const [row] = await db.query<OrderRow>(
    `update orders set status = $2, ticket_id = $3, updated_at = now()
     where id = $1
     returning ${COLUMNS}`,
    [id, progress.status, progress.ticketId],
  );
  return toOrder(required(row));
}

function required(row: OrderRow | undefined): OrderRow {
  if (!row) throw new Error('The statement returned no order');
  return row;
}

function toOrder(row: OrderRow): Order {
  return {
    id: row.id,
    number: row.number,
    customerId: row.customer_id,
    status: row.status,
    items: row.items,
    totalCents: row.total_cents,
    currency: row.currency,
    notes: row.notes,
    paymentId: row.payment_id,
    ticketId: row.ticket_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
