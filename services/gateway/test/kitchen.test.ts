import { problemTypes, StockList, Ticket, TicketList } from '@cheesecake/contracts';
import { ProblemError } from '@cheesecake/service-kit';
import { expectProblem } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aTicket, signIn, startSystem, type TestSystem } from './support.js';

let system: TestSystem;
const tickets = new Map<string, Ticket>();

beforeAll(async () => {
  system = await startSystem({
    kitchen: {
      listTickets: async ({ query }) => ({
        status: 200,
        body: {
          items: [...tickets.values()].filter(
            (ticket) => !query.status || ticket.status === query.status,
          ),
        },
      }),
      startTicket: async ({ params }) => {
        const ticket = tickets.get(params.ticketId);
        if (!ticket) {
          throw new ProblemError(problemTypes.ticketNotFound, `Ticket ${params.ticketId}`);
        }
        if (ticket.status !== 'QUEUED') {
          throw new ProblemError(problemTypes.invalidTicketState, `Ticket is ${ticket.status}`);
        }
        return { status: 200, body: { ...ticket, status: 'PREPARING' } };
      },
      listStock: async () => ({
        status: 200,
        body: { items: [{ menuItemId: 'tiramisu', quantity: 12 }] },
      }),
      markTicketReady: async ({ params }) => {
        const ticket = tickets.get(params.ticketId);
        if (!ticket) {
          throw new ProblemError(problemTypes.ticketNotFound, `Ticket ${params.ticketId}`);
        }
        return { status: 200, body: { ...ticket, status: 'READY' } };
      },
    },
  });
});
afterAll(() => system.close());

const givenTicket = (overrides: Partial<Ticket>) => {
  const ticket = aTicket(overrides);
  tickets.set(ticket.id, ticket);
  return ticket;
};

describe('GET /api/kitchen/tickets', () => {
  it('returns the tickets of a status, asking the kitchen as the user', async () => {
    givenTicket({ id: 'tkt_list_1', status: 'QUEUED' });
    givenTicket({ id: 'tkt_list_2', status: 'READY' });
    const kai = await signIn(system.gateway, 'kai');

    const res = await request(system.gateway)
      .get('/api/kitchen/tickets')
      .query({ status: 'READY' })
      .set('authorization', kai);

    expect(res.status).toBe(200);
    expect(TicketList.parse(res.body).items.map((ticket) => ticket.id)).toContain('tkt_list_2');
    expect(TicketList.parse(res.body).items.every((ticket) => ticket.status === 'READY')).toBe(
      true,
    );
    expect(res.headers['cache-control']).toBe('no-store');
    expect(system.kitchen.calls.at(-1)).toMatchObject({
      caller: { service: 'gateway', user: { id: 'usr_kai', role: 'kitchen' } },
      request: { query: { status: 'READY' } },
    });
  });

  it('returns 400 for a query the public API does not offer', async () => {
    const kai = await signIn(system.gateway, 'kai');
    const callsBefore = system.kitchen.calls.length;

    const res = await request(system.gateway)
      .get('/api/kitchen/tickets')
      .query({ orderId: 'ord_1' })
      .set('authorization', kai);

    expectProblem(res, 400, 'validation');
    expect(system.kitchen.calls).toHaveLength(callsBefore);
  });
});

describe('POST /api/kitchen/tickets/:ticketId/start', () => {
  it('returns the ticket the kitchen started', async () => {
    const ticket = givenTicket({ id: 'tkt_start_1', status: 'QUEUED' });
    const kai = await signIn(system.gateway, 'kai');

    const res = await request(system.gateway)
      .post(`/api/kitchen/tickets/${ticket.id}/start`)
      .set('authorization', kai);

    expect(res.status).toBe(200);
    expect(Ticket.parse(res.body)).toMatchObject({ id: ticket.id, status: 'PREPARING' });
  });

  it("passes the kitchen's 409 through for a ticket already in preparation", async () => {
    const ticket = givenTicket({ id: 'tkt_start_2', status: 'PREPARING' });
    const kai = await signIn(system.gateway, 'kai');

    const res = await request(system.gateway)
      .post(`/api/kitchen/tickets/${ticket.id}/start`)
      .set('authorization', kai);

    const problem = expectProblem(res, 409, 'invalid-ticket-state');
    expect(problem.detail).toBe('Ticket is PREPARING');
  });
});

describe('POST /api/kitchen/tickets/:ticketId/ready', () => {
  it("passes the kitchen's 404 through for an unknown ticket", async () => {
    const ada = await signIn(system.gateway, 'ada');

    const res = await request(system.gateway)
      .post('/api/kitchen/tickets/tkt_unknown/ready')
      .set('authorization', ada);

    expectProblem(res, 404, 'ticket-not-found');
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('GET /api/kitchen/stock', () => {
  it('returns the portions left of every dish, asking the kitchen as the user', async () => {
    const kai = await signIn(system.gateway, 'kai');

    const res = await request(system.gateway).get('/api/kitchen/stock').set('authorization', kai);

    expect(res.status).toBe(200);
    expect(StockList.parse(res.body).items).toEqual([{ menuItemId: 'tiramisu', quantity: 12 }]);
    expect(system.kitchen.calls.at(-1)).toMatchObject({
      caller: { service: 'gateway', user: { id: 'usr_kai', role: 'kitchen' } },
    });
  });

  it('returns 403 to a customer without asking the kitchen', async () => {
    const alice = await signIn(system.gateway, 'alice');
    const callsBefore = system.kitchen.calls.length;

    const res = await request(system.gateway).get('/api/kitchen/stock').set('authorization', alice);

    expectProblem(res, 403, 'forbidden');
    expect(system.kitchen.calls).toHaveLength(callsBefore);
  });
});
