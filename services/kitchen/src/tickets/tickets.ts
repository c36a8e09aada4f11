import type {
  CreateTicketRequest,
  ListTicketsQuery,
  Ticket,
  TicketStatus,
} from '@cheesecake/contracts';
import { annotateSpan, newId, type Queryable, type ReadOptions } from '@cheesecake/service-kit';
import { TicketNotFoundError } from '../errors.js';
import type { ReportedChanges } from '../reports/reported-changes.js';
import { reportTicketStatus } from '../reports/status-reports.js';
import { findShortages, portionsOf, returnPortions, takePortions } from '../stock/stock.js';
import { initialTicketStatuses, statusAfter } from './ticket-lifecycle.js';
import { findTicket, insertTicket, listTickets, updateTicketStatus } from './ticket-store.js';

/** A ticket, and whether this call created it or found it already there. */
export interface CreatedTicket {
  ticket: Ticket;
  created: boolean;
}

/**
 * Stores a ticket's next status and reports the change to the order service, within the
 * caller's transaction. The status comes from {@link statusAfter}.
 */
export async function moveTicket(
  tx: Queryable,
  ticketId: string,
  status: TicketStatus,
  requestId: string,
): Promise<Ticket> {
  const ticket = await updateTicketStatus(tx, ticketId, status);
  await reportTicketStatus(tx, ticket, requestId);
  return ticket;
}

/** The kitchen's tickets: one per paid order, from queued to ready, rejected or cancelled. */
export class Tickets {
  readonly #changes: ReportedChanges;

  constructor(changes: ReportedChanges) {
    this.#changes = changes;
  }

  /**
   * Queues a ticket for a paid order and takes its portions, or rejects it, taking nothing,
   * when a dish is short. An order that already has a ticket (a redelivery, or a cancellation
   * that arrived first) gets that ticket back and nothing changes.
   */
  async create(request: CreateTicketRequest, requestId: string): Promise<CreatedTicket> {
    return this.#changes.run(async (tx) => {
      const existing = await findTicket(tx, { orderId: request.orderId });
      if (existing) return { ticket: existing, created: false };

      const portions = portionsOf(request.items);
      const shortages = await findShortages(tx, portions);
      const accepted = shortages.length === 0;
      const ticket = await insertTicket(tx, {
        id: newId('tkt'),
        orderId: request.orderId,
        orderNumber: request.orderNumber,
        status: accepted ? initialTicketStatuses.accepted : initialTicketStatuses.soldOut,
        items: request.items,
        notes: request.notes,
        rejectionReason: accepted ? null : `Sold out: ${shortages.join(', ')}`,
      });
      if (!ticket) {
        // The same order raced in on another connection and was stored first.
        return { ticket: await this.#ticketForOrder(tx, request.orderId), created: false };
      }

      if (accepted) await takePortions(tx, portions, requestId);
      await reportTicketStatus(tx, ticket, requestId);
      annotateSpan({
        'cheesecake.order.id': ticket.orderId,
        'cheesecake.order.number': ticket.orderNumber,
        'cheesecake.ticket.id': ticket.id,
        'cheesecake.ticket.status': ticket.status,
      });
      return { ticket, created: true };
    });
  }

  /**
   * Cancels an order's ticket while it is still queued and puts its portions back. When the
   * ticket has not arrived yet, stores it cancelled, without items, so that it arrives
   * cancelled and takes nothing (docs/decisions/0004).
   */
  async cancelForOrder(orderId: string, orderNumber: number, requestId: string): Promise<Ticket> {
    return this.#changes.run(async (tx) => {
      let ticket = await findTicket(tx, { orderId }, { lock: true });
      if (!ticket) {
        const placeholder = await insertTicket(tx, {
          id: newId('tkt'),
          orderId,
          orderNumber,
          status: initialTicketStatuses.cancelledBeforeArrival,
          items: [],
          notes: null,
          rejectionReason: null,
        });
        if (placeholder) {
          await reportTicketStatus(tx, placeholder, requestId);
          return placeholder;
        }
        // The ticket itself was stored meanwhile on another connection: cancel that one.
        ticket = await this.#ticketForOrder(tx, orderId, { lock: true });
      }

      const status = statusAfter(ticket, 'cancel');
      // Cancelled already: its portions went back the first time.
      if (status === ticket.status) return ticket;
      await returnPortions(tx, portionsOf(ticket.items), requestId);
      return moveTicket(tx, ticket.id, status, requestId);
    });
  }

  /** Staff start preparing a queued ticket. */
  async start(ticketId: string, requestId: string): Promise<Ticket> {
    return this.#changes.run(async (tx) => {
      const ticket = await this.#ticket(tx, ticketId, { lock: true });
      return moveTicket(tx, ticket.id, statusAfter(ticket, 'start'), requestId);
    });
  }

  /** Staff finish a ticket in preparation. */
  async markReady(ticketId: string, requestId: string): Promise<Ticket> {
    return this.#changes.run(async (tx) => {
      const ticket = await this.#ticket(tx, ticketId, { lock: true });
      return moveTicket(tx, ticket.id, statusAfter(ticket, 'markReady'), requestId);
    });
  }

  list(filter: ListTicketsQuery): Promise<Ticket[]> {
    return listTickets(this.#changes.db, filter);
  }

  get(ticketId: string): Promise<Ticket> {
    return this.#ticket(this.#changes.db, ticketId);
  }

  async #ticket(db: Queryable, ticketId: string, options: ReadOptions = {}) {
    const ticket = await findTicket(db, { id: ticketId }, options);
    if (!ticket) throw new TicketNotFoundError(ticketId);
    return ticket;
  }

  async #ticketForOrder(db: Queryable, orderId: string, options: ReadOptions = {}) {
    const ticket = await findTicket(db, { orderId }, options);
    if (!ticket) throw new Error(`The ticket of order ${orderId} vanished after a conflict`);
    return ticket;
  }
}
