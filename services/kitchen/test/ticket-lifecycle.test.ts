import { TicketStatus } from '@cheesecake/contracts';
import type { Transition } from '@cheesecake/service-kit';
import { describe, expect, it } from 'vitest';
import { InvalidTicketStateError } from '../src/errors.js';
import {
  initialTicketStatuses,
  statusAfter,
  ticketTransitions,
} from '../src/tickets/ticket-lifecycle.js';

const transitions: Transition<TicketStatus>[] = Object.values(ticketTransitions);

describe('ticketTransitions', () => {
  it('reaches every status the contract lists, or creates tickets in it', () => {
    const reached = new Set<TicketStatus>([
      ...Object.values(initialTicketStatuses),
      ...transitions.map((transition) => transition.to),
    ]);

    const unreached = TicketStatus.options.filter((status) => !reached.has(status));

    expect(unreached).toEqual([]);
  });

  it.each(['READY', 'REJECTED', 'CANCELLED'] as const)('has no way out of %s', (status) => {
    const leaving = transitions.filter((transition) => transition.from.includes(status));

    expect(leaving).toEqual([]);
  });
});

describe('statusAfter', () => {
  it('answers the status the table moves a ticket to', () => {
    const ticket = { id: 'tkt_1', status: 'QUEUED' } as const;

    const status = statusAfter(ticket, 'start');

    expect(status).toBe('PREPARING');
  });

  it('answers the status as it is when a cancelled ticket is cancelled again', () => {
    const ticket = { id: 'tkt_1', status: 'CANCELLED' } as const;

    const status = statusAfter(ticket, 'cancel');

    expect(status).toBe('CANCELLED');
  });

  it('throws InvalidTicketStateError for a move the table does not have', () => {
    const ticket = { id: 'tkt_1', status: 'READY' } as const;

    const starting = () => statusAfter(ticket, 'start');

    expect(starting).toThrow(InvalidTicketStateError);
    expect(starting).toThrow('Ticket tkt_1 is READY; only a QUEUED ticket can be started');
  });
});
