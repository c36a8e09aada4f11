import { ProblemError, problemTypes, type TicketStatus } from '@cheesecake/contracts';

/** No ticket has this id. */
export class TicketNotFoundError extends ProblemError {
  constructor(ticketId: string) {
    super(problemTypes.ticketNotFound, `Ticket ${ticketId} does not exist`);
  }
}

/** The ticket's status does not allow what was asked; `ticketStatus` says where it stands. */
export class InvalidTicketStateError extends ProblemError {
  constructor(ticket: { id: string; status: TicketStatus }, action: string, allowed: TicketStatus) {
    super(
      problemTypes.invalidTicketState,
      `Ticket ${ticket.id} is ${ticket.status}; only a ${allowed} ticket can be ${action}`,
      { ticketStatus: ticket.status },
    );
  }
}
