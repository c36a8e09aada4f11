import type {
  OrderEvent,
  OrderEventName,
  OrderStatus,
  OrderStatusEvent,
  TicketStatus,
} from '@cheesecake/contracts';
import type { Queryable } from '@cheesecake/service-kit';

/** The channel each status change is notified on, once its transaction commits. */
export const ORDER_STATUS_CHANNEL = 'order_status';

/** A status change as the streams send it: the id of the step that made it, and the event. */
export interface StatusChange {
  /** The step's id, a decimal number, which is the event id of the streams. */
  id: string;
  event: OrderStatusEvent;
}

/** A step of an order's saga, to record. */
export interface NewOrderEvent {
  orderId: string;
  step: OrderEventName;
  /** Whether the step moved the order to a new status; placing it does. */
  statusChanged: boolean;
  /** What happened, in a sentence. */
  detail: string;
  /** The request that caused the step. */
  requestId: string | null | undefined;
  paymentId?: string | null | undefined;
  ticketId?: string | null | undefined;
  ticketStatus?: TicketStatus | undefined;
  attempt?: number | undefined;
}

interface OrderEventRow {
  step: OrderEventName;
  at: Date;
  order_status: OrderStatus;
  detail: string;
  request_id: string | null;
  payment_id: string | null;
  ticket_id: string | null;
  ticket_status: TicketStatus | null;
  attempt: number | null;
}

interface StatusChangeRow {
  id: string;
  order_id: string;
  order_number: number;
  order_status: OrderStatus;
  at: Date;
}

/**
 * Records a step with the order's status as the caller's transaction leaves it, so it is
 * recorded after the change it describes. A step that changed the status is also notified
 * on {@link ORDER_STATUS_CHANNEL}, which PostgreSQL delivers when the transaction commits.
 * Nothing is recorded for an order that does not exist.
 */
export async function recordOrderEvent(db: Queryable, event: NewOrderEvent): Promise<void> {
  const [change] = await db.query<StatusChangeRow>(
    `with recorded as (
       insert into order_events (order_id, step, order_status, status_changed, detail,
         request_id, payment_id, ticket_id, ticket_status, attempt)
       select id, $2, status, $3, $4, $5, $6, $7, $8, $9 from orders where id = $1
       returning id, order_id, order_status, at)
     select recorded.id::text as id, order_id, orders.number as order_number, order_status, at
     from recorded join orders on orders.id = recorded.order_id`,
    [
      event.orderId,
      event.step,
      event.statusChanged,
      event.detail,
      event.requestId ?? null,
      event.paymentId ?? null,
      event.ticketId ?? null,
      event.ticketStatus ?? null,
      event.attempt ?? null,
    ],
  );
  if (change && event.statusChanged) {
    // An id and a short event: far below the 8000 bytes a notification may carry.
    await db.query('select pg_notify($1, $2)', [
      ORDER_STATUS_CHANNEL,
      JSON.stringify(toStatusChange(change)),
    ]);
  }
}

/** Whether the order's timeline already shows the kitchen reporting this ticket status. */
export async function hasKitchenStatus(
  db: Queryable,
  orderId: string,
  ticketStatus: TicketStatus,
): Promise<boolean> {
  const rows = await db.query(
    `select 1 from order_events
     where order_id = $1 and step = 'kitchen.status' and ticket_status = $2 limit 1`,
    [orderId, ticketStatus],
  );
  return rows.length > 0;
}

/** Every step of an order, oldest first. */
export async function listOrderEvents(db: Queryable, orderId: string): Promise<OrderEvent[]> {
  const rows = await db.query<OrderEventRow>(
    `select step, at, order_status, detail, request_id, payment_id, ticket_id, ticket_status, attempt
     from order_events where order_id = $1 order by id`,
    [orderId],
  );
  return rows.map(toOrderEvent);
}

const STATUS_CHANGE_COLUMNS = `order_events.id::text as id, order_id, orders.number as order_number,
  order_status, at`;

/** The latest status change of an order, which carries its current status. */
export async function findLatestStatusChange(
  db: Queryable,
  orderId: string,
): Promise<StatusChange | undefined> {
  const [row] = await db.query<StatusChangeRow>(
    `select ${STATUS_CHANGE_COLUMNS}
     from order_events join orders on orders.id = order_events.order_id
     where order_id = $1 and status_changed
     order by order_events.id desc limit 1`,
    [orderId],
  );
  return row && toStatusChange(row);
}

/** Status changes after the one with id `afterId`, oldest first: of one order, or of every order. */
export async function listStatusChangesAfter(
  db: Queryable,
  filter: { afterId: string; orderId?: string | undefined; limit: number },
): Promise<StatusChange[]> {
  const rows = await db.query<StatusChangeRow>(
    `select ${STATUS_CHANGE_COLUMNS}
     from order_events join orders on orders.id = order_events.order_id
     where status_changed and order_events.id > $1::bigint
       and ($2::text is null or order_id = $2)
     order by order_events.id limit $3`,
    [filter.afterId, filter.orderId ?? null, filter.limit],
  );
  return rows.map(toStatusChange);
}

/** The id of the latest status change of any order; `0` when there is none. */
export async function findLastStatusChangeId(db: Queryable): Promise<string> {
  const [row] = await db.query<{ id: string }>(
    'select coalesce(max(id), 0)::text as id from order_events where status_changed',
  );
  return row?.id ?? '0';
}

function toStatusChange(row: StatusChangeRow): StatusChange {
  return {
    id: row.id,
    event: {
      type: 'order.status',
      orderId: row.order_id,
      orderNumber: row.order_number,
      status: row.order_status,
      at: row.at.toISOString(),
    },
  };
}

function toOrderEvent(row: OrderEventRow): OrderEvent {
  return {
    step: row.step,
    at: row.at.toISOString(),
    orderStatus: row.order_status,
    detail: row.detail,
    requestId: row.request_id,
    ...(row.payment_id !== null && { paymentId: row.payment_id }),
    ...(row.ticket_id !== null && { ticketId: row.ticket_id }),
    ...(row.ticket_status !== null && { ticketStatus: row.ticket_status }),
    ...(row.attempt !== null && { attempt: row.attempt }),
  };
}

/** When the order's payment was captured, or undefined when it was not (yet). */
export async function paidAt(db: Queryable, orderId: string): Promise<Date | undefined> {
  const [row] = await db.query<{ at: Date | string }>(
    `select at from order_events where order_id = $1 and step = 'payment.captured'
     order by id desc limit 1`,
    [orderId],
  );
  return row && new Date(row.at);
}
