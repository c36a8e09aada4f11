import type { ListTicketsQuery, Ticket, TicketLine, TicketStatus } from '@cheesecake/contracts';
import {
  lockClause,
  type Queryable,
  type ReadOptions,
  type TraceCarrier,
  traceCarrierForLater,
} from '@cheesecake/service-kit';
import { type InitialTicketStatus, ticketTransitions } from './ticket-lifecycle.js';

interface TicketRow {
  id: string;
  order_id: string;
  // pg returns bigint columns as strings, PGlite as numbers.
  order_number: number | string;
  status: TicketStatus;
  items: TicketLine[];
  notes: string | null;
  rejection_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

/** A ticket preparation may move now, with the trace it was created in, to continue. */
export interface DueTicket {
  ticket: Ticket;
  createdIn: TraceCarrier;
}

interface DueTicketRow extends TicketRow {
  traceparent: string | null;
  tracestate: string | null;
}

function toDueTicket(row: DueTicketRow): DueTicket {
  return {
    ticket: toTicket(row),
    createdIn: {
      ...(row.traceparent && { traceparent: row.traceparent }),
      ...(row.tracestate && { tracestate: row.tracestate }),
    },
  };
}

const COLUMNS =
  'id, order_id, order_number, status, items, notes, rejection_reason, created_at, updated_at';

function toTicket(row: TicketRow): Ticket {
  return {
    id: row.id,
    orderId: row.order_id,
    orderNumber: Number(row.order_number),
    status: row.status,
    items: row.items,
    notes: row.notes,
    rejectionReason: row.rejection_reason,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** A ticket about to be stored, in one of the statuses a ticket starts in. */
export type NewTicket = Omit<Ticket, 'createdAt' | 'updatedAt' | 'status'> & {
  status: InitialTicketStatus;
};

/**
 * Stores a ticket, with the trace it is created in, unless its order already has one;
 * resolves to undefined when it does.
 */
export async function insertTicket(db: Queryable, ticket: NewTicket): Promise<Ticket | undefined> {
  const trace = traceCarrierForLater('kitchen ticket');
  const rows = await db.query<TicketRow>(
    `insert into tickets (id, order_id, order_number, status, items, notes, rejection_reason,
       traceparent, tracestate)
     values ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9)
     on conflict (order_id) do nothing
     returning ${COLUMNS}`,
    [
      ticket.id,
      ticket.orderId,
      ticket.orderNumber,
      ticket.status,
      JSON.stringify(ticket.items),
      ticket.notes,
      ticket.rejectionReason,
      trace.traceparent ?? null,
      trace.tracestate ?? null,
    ],
  );
  return rows[0] && toTicket(rows[0]);
}

/**
 * A ticket by its id, or the ticket of an order (an order has one at most); with `lock`,
 * locked until the transaction ends.
 */
export async function findTicket(
  db: Queryable,
  key: { id: string } | { orderId: string },
  options: ReadOptions = {},
): Promise<Ticket | undefined> {
  const [column, value] = 'id' in key ? ['id', key.id] : ['order_id', key.orderId];
  const [row] = await db.query<TicketRow>(
    `select ${COLUMNS} from tickets where ${column} = $1${lockClause(options)}`,
    [value],
  );
  return row && toTicket(row);
}

/** Tickets, oldest first, with the given status and order when those are set. */
export async function listTickets(db: Queryable, filter: ListTicketsQuery): Promise<Ticket[]> {
  const rows = await db.query<TicketRow>(
    `select ${COLUMNS} from tickets
     where ($1::text is null or status = $1) and ($2::text is null or order_id = $2)
     order by created_at, id`,
    [filter.status ?? null, filter.orderId ?? null],
  );
  return rows.map(toTicket);
}

/** Sets a ticket's status, stamping when preparation started or ended. */
export async function updateTicketStatus(
  db: Queryable,
  ticketId: string,
  status: TicketStatus,
): Promise<Ticket> {
  const rows = await db.query<TicketRow>(
    `update tickets set status = $2::text, updated_at = now(),
       started_at = case when $2::text = 'PREPARING' then now() else started_at end,
       ready_at = case when $2::text = 'READY' then now() else ready_at end
     where id = $1
     returning ${COLUMNS}`,
    [ticketId, status],
  );
  if (!rows[0]) throw new Error(`Ticket ${ticketId} vanished while its status was changed`);
  return toTicket(rows[0]);
}

export async function countTickets(db: Queryable, status: TicketStatus): Promise<number> {
  const rows = await db.query<{ count: number }>(
    'select count(*)::int as count from tickets where status = $1',
    [status],
  );
  return rows[0]?.count ?? 0;
}

/** What a ticket has waited since, before each automatic step: since it came, or since it started. */
const waitingSince = { start: 'created_at', markReady: 'started_at' } as const;

/**
 * Locks up to `limit` tickets (all, without one) that `step` may move and that have waited at
 * least `waitedMs` since they came (start) or started (markReady), oldest first. Tickets
 * another transaction holds (another replica, or staff) are skipped, not waited for.
 */
export async function lockTicketsDue(
  db: Queryable,
  step: keyof typeof waitingSince,
  waitedMs: number,
  limit: number | null = null,
): Promise<DueTicket[]> {
  const since = waitingSince[step];
  const rows = await db.query<DueTicketRow>(
    `select ${COLUMNS}, traceparent, tracestate from tickets
     where status = any($2::text[]) and ${since} <= now() - $1 * interval '1 millisecond'
     order by ${since}, id
     limit $3
     for update skip locked`,
    [waitedMs, ticketTransitions[step].from, limit],
  );
  return rows.map(toDueTicket);
}
