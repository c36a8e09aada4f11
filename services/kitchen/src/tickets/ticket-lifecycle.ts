import type { TicketStatus } from '@cheesecake/contracts';
import { nextStatus, type Transition } from '@cheesecake/service-kit';
import { InvalidTicketStateError } from '../errors.js';

/** The statuses a ticket is stored in when it is created, by why it is created so. */
export const initialTicketStatuses = {
  accepted: 'QUEUED',
  soldOut: 'REJECTED',
  /** The order was cancelled before its ticket arrived (docs/decisions/0004). */
  cancelledBeforeArrival: 'CANCELLED',
} as const satisfies Record<string, TicketStatus>;

export type InitialTicketStatus =
  (typeof initialTicketStatuses)[keyof typeof initialTicketStatuses];

/**
 * What may happen to a stored ticket, in which statuses, and the status it leads to. The use
 * cases and preparation ask {@link statusAfter}; the store's status guards come from here.
 */
export const ticketTransitions = {
  start: { from: ['QUEUED'], to: 'PREPARING' },
  markReady: { from: ['PREPARING'], to: 'READY' },
  cancel: { from: ['QUEUED'], to: 'CANCELLED', idempotent: true },
} as const satisfies Record<string, Transition<TicketStatus>>;

/** Something that may happen to a ticket: a row of {@link ticketTransitions}. */
export type TicketTransitionName = keyof typeof ticketTransitions;

// Completes "only a QUEUED ticket can be …" in the refusal.
const refusedAction = {
  start: 'started',
  markReady: 'marked ready',
  cancel: 'cancelled',
} as const satisfies Record<TicketTransitionName, string>;

/**
 * The status transition `name` leaves the ticket in (see `nextStatus`); throws
 * {@link InvalidTicketStateError} when it may not happen now.
 */
export function statusAfter(
  ticket: { id: string; status: TicketStatus },
  name: TicketTransitionName,
): TicketStatus {
  const transition: Transition<TicketStatus> = ticketTransitions[name];
  const next = nextStatus(transition, ticket.status);
  if (next === undefined) {
    throw new InvalidTicketStateError(ticket, refusedAction[name], transition.from);
  }
  return next;
}
