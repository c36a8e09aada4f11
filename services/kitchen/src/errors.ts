import { problemTypes, type TicketStatus } from '@cheesecake/contracts';
import { ProblemError } from '@cheesecake/service-kit';

/** The kitchen keeps no stock of this dish: it is not one the kitchen makes. */
export class DishNotStockedError extends ProblemError {
  constructor(menuItemId: string) {
    super(problemTypes.dishNotStocked, `The kitchen does not make ${menuItemId}`);
  }
}

/** No ticket has this id. */
export class TicketNotFoundError extends ProblemError {
  constructor(ticketId: string) {
    super(problemTypes.ticketNotFound, `Ticket ${ticketId} does not exist`);
  }
}

/** The ticket's status does not allow what was asked; `ticketStatus` says where it stands. */
export class InvalidTicketStateError extends ProblemError {
  constructor(
    ticket: { id: string; status: TicketStatus },
    action: string,
    allowed: readonly TicketStatus[],
  ) {
    super(
      problemTypes.invalidTicketState,
      `Ticket ${ticket.id} is ${ticket.status}; only a ${allowed.join(' or ')} ticket can be ${action}`,
      { ticketStatus: ticket.status },
    );
  }
}
