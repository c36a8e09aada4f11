import {
  type CreateTicketRequest,
  Ticket,
  TicketList,
  type TicketStatus,
} from '@cheesecake/contracts';
import { expectProblem, forgetSpans, servedSpan } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  asGateway,
  asOrderService,
  asUser,
  reportsFor,
  stockedDish,
  stockOf,
  ticketRequest,
  uniqueDish,
  useKitchenService,
} from './support.js';

const service = useKitchenService();

const createTicket = async (body: CreateTicketRequest) =>
  request(service.app).post('/tickets').use(asOrderService()).send(body);

const cancelTicket = async (orderId: string, orderNumber = 7) =>
  request(service.app)
    .post(`/tickets/by-order/${orderId}/cancel`)
    .use(asOrderService())
    .send({ orderNumber });

const staffAction = async (ticketId: string, action: 'start' | 'ready') =>
  request(service.app).post(`/tickets/${ticketId}/${action}`).use(asUser('kitchen'));

const getTicket = async (ticketId: string) =>
  Ticket.parse(
    (await request(service.app).get(`/tickets/${ticketId}`).use(asUser('kitchen'))).body,
  );

/** A queued ticket of a dish of its own, stocked with `stocked` portions before the ticket took one. */
async function queuedTicket(stocked = 10) {
  const menuItemId = await stockedDish(service, stocked);
  const res = await createTicket(ticketRequest(menuItemId, 1));
  return { ticket: Ticket.parse(res.body), menuItemId };
}

async function ticketIn(status: TicketStatus) {
  const { ticket } = await queuedTicket();
  if (status === 'PREPARING' || status === 'READY') await staffAction(ticket.id, 'start');
  if (status === 'READY') await staffAction(ticket.id, 'ready');
  if (status === 'CANCELLED') await cancelTicket(ticket.orderId);
  return getTicket(ticket.id);
}

describe('POST /tickets', () => {
  it("records the new ticket and its order on the request's span", async () => {
    const body = ticketRequest(await stockedDish(service, 5), 1, { orderNumber: 43 });
    forgetSpans();

    const res = await createTicket(body);

    const ticket = Ticket.parse(res.body);
    expect(servedSpan('/tickets')?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 201,
      'cheesecake.order.id': body.orderId,
      'cheesecake.order.number': 43,
      'cheesecake.ticket.id': ticket.id,
      'cheesecake.ticket.status': 'QUEUED',
    });
  });

  it('returns 201 with a QUEUED ticket, takes its portions and reports QUEUED once', async () => {
    const menuItemId = await stockedDish(service, 5);
    const body = ticketRequest(menuItemId, 2, { orderNumber: 42, notes: 'No candles' });

    const res = await createTicket(body);

    expect(res.status).toBe(201);
    const ticket = Ticket.parse(res.body);
    expect(ticket).toMatchObject({
      orderId: body.orderId,
      orderNumber: 42,
      status: 'QUEUED',
      items: body.items,
      notes: 'No candles',
      rejectionReason: null,
    });
    expect(ticket.id).toMatch(/^tkt_/);
    expect(await stockOf(service.app, menuItemId)).toBe(3);
    expect(await reportsFor(service.db, ticket.id)).toEqual([
      {
        ticketId: ticket.id,
        orderId: body.orderId,
        status: 'QUEUED',
        reason: null,
        occurredAt: ticket.updatedAt,
      },
    ]);
  });

  it('adds up the portions of a dish that appears on several lines', async () => {
    const menuItemId = await stockedDish(service, 5);
    const body = ticketRequest(menuItemId, 2);
    body.items.push({ menuItemId, name: 'Another of the same', quantity: 3 });

    const res = await createTicket(body);

    expect(res.status).toBe(201);
    expect(Ticket.parse(res.body).status).toBe('QUEUED');
    expect(await stockOf(service.app, menuItemId)).toBe(0);
  });

  it('returns 200 with the same ticket and takes the portions once when the order arrives again', async () => {
    const menuItemId = await stockedDish(service, 5);
    const body = ticketRequest(menuItemId, 2);
    const first = Ticket.parse((await createTicket(body)).body);

    const res = await createTicket(body);

    expect(res.status).toBe(200);
    expect(Ticket.parse(res.body)).toEqual(first);
    expect(await stockOf(service.app, menuItemId)).toBe(3);
    expect(await reportsFor(service.db, first.id)).toHaveLength(1);
  });

  it('keeps one ticket when the same order arrives twice at once', async () => {
    const menuItemId = await stockedDish(service, 5);
    const body = ticketRequest(menuItemId, 2);

    const [a, b] = await Promise.all([createTicket(body), createTicket(body)]);

    expect([a.status, b.status].sort()).toEqual([200, 201]);
    expect(Ticket.parse(a.body).id).toBe(Ticket.parse(b.body).id);
    expect(await stockOf(service.app, menuItemId)).toBe(3);
  });

  it('returns 201 with a REJECTED ticket, takes no portions and reports why when a dish is short', async () => {
    const plenty = await stockedDish(service, 5);
    const scarce = await stockedDish(service, 1);
    const body = ticketRequest(plenty, 1);
    body.items.push({ menuItemId: scarce, name: 'Scarce', quantity: 2 });

    const res = await createTicket(body);

    expect(res.status).toBe(201);
    const ticket = Ticket.parse(res.body);
    expect(ticket.status).toBe('REJECTED');
    expect(ticket.rejectionReason).toBe(`Sold out: ${scarce} (2 asked, 1 left)`);
    expect(await stockOf(service.app, plenty)).toBe(5);
    expect(await stockOf(service.app, scarce)).toBe(1);
    expect(await reportsFor(service.db, ticket.id)).toEqual([
      expect.objectContaining({ status: 'REJECTED', reason: ticket.rejectionReason }),
    ]);
  });

  it('rejects a dish the kitchen has never stocked', async () => {
    const menuItemId = uniqueDish();

    const res = await createTicket(ticketRequest(menuItemId, 1));

    expect(res.status).toBe(201);
    expect(Ticket.parse(res.body)).toMatchObject({
      status: 'REJECTED',
      rejectionReason: `Sold out: ${menuItemId} (1 asked, 0 left)`,
    });
    expect(await stockOf(service.app, menuItemId)).toBeUndefined();
  });

  it('returns 403 and stores nothing when the caller is not the order service', async () => {
    const body = ticketRequest('tiramisu');

    const res = await request(service.app).post('/tickets').use(asGateway()).send(body);

    expectProblem(res, 403, 'forbidden');
    const list = await request(service.app)
      .get('/tickets')
      .query({ orderId: body.orderId })
      .use(asGateway());
    expect(TicketList.parse(list.body).items).toEqual([]);
  });

  it('returns 400 listing the failed checks of a ticket without items', async () => {
    const body = { ...ticketRequest('tiramisu'), items: [] };

    const res = await createTicket(body);

    const problem = expectProblem(res, 400, 'validation');
    expect(problem.errors).toEqual([expect.objectContaining({ path: 'body.items' })]);
  });

  it('returns 401 without an internal credential', async () => {
    const res = await request(service.app).post('/tickets').send(ticketRequest('tiramisu'));

    expectProblem(res, 401, 'unauthenticated');
  });
});

describe('POST /tickets/by-order/:orderId/cancel', () => {
  it('returns 200 with the ticket CANCELLED, puts its portions back and reports it when it is queued', async () => {
    const { ticket, menuItemId } = await queuedTicket(10);

    const res = await cancelTicket(ticket.orderId);

    expect(res.status).toBe(200);
    expect(Ticket.parse(res.body)).toMatchObject({ id: ticket.id, status: 'CANCELLED' });
    expect(await stockOf(service.app, menuItemId)).toBe(10);
    expect((await reportsFor(service.db, ticket.id)).map((report) => report.status)).toEqual([
      'QUEUED',
      'CANCELLED',
    ]);
  });

  it('stores a cancelled placeholder when the ticket has not arrived, so the late ticket takes no portions', async () => {
    const menuItemId = await stockedDish(service, 10);
    const body = ticketRequest(menuItemId, 3, { orderNumber: 99 });

    const cancelled = await cancelTicket(body.orderId, 99);
    const late = await createTicket(body);

    expect(cancelled.status).toBe(200);
    const placeholder = Ticket.parse(cancelled.body);
    expect(placeholder).toMatchObject({
      orderId: body.orderId,
      orderNumber: 99,
      status: 'CANCELLED',
      items: [],
    });
    expect(late.status).toBe(200);
    expect(Ticket.parse(late.body)).toEqual(placeholder);
    expect(await stockOf(service.app, menuItemId)).toBe(10);
    expect((await reportsFor(service.db, placeholder.id)).map((report) => report.status)).toEqual([
      'CANCELLED',
    ]);
  });

  it('returns 200 and changes nothing when the ticket is already cancelled', async () => {
    const { ticket, menuItemId } = await queuedTicket(10);
    const first = Ticket.parse((await cancelTicket(ticket.orderId)).body);

    const res = await cancelTicket(ticket.orderId);

    expect(res.status).toBe(200);
    expect(Ticket.parse(res.body)).toEqual(first);
    expect(await stockOf(service.app, menuItemId)).toBe(10);
    expect(await reportsFor(service.db, ticket.id)).toHaveLength(2);
  });

  it.each(['PREPARING', 'READY', 'REJECTED'] as const)(
    'returns 409 and keeps the ticket %s',
    async (status) => {
      const ticket =
        status === 'REJECTED'
          ? Ticket.parse((await createTicket(ticketRequest(uniqueDish()))).body)
          : await ticketIn(status);

      const res = await cancelTicket(ticket.orderId);

      expectProblem(res, 409, 'invalid-ticket-state');
      expect(await getTicket(ticket.id)).toEqual(ticket);
    },
  );

  it('returns 403 and stores nothing when the caller is not the order service', async () => {
    const { ticket } = await queuedTicket();

    const res = await request(service.app)
      .post(`/tickets/by-order/${ticket.orderId}/cancel`)
      .use(asUser('admin'))
      .send({ orderNumber: 7 });

    expectProblem(res, 403, 'forbidden');
    expect((await getTicket(ticket.id)).status).toBe('QUEUED');
  });
});

describe('POST /tickets/:ticketId/start', () => {
  it('moves a queued ticket to PREPARING and reports it', async () => {
    const { ticket } = await queuedTicket();

    const res = await staffAction(ticket.id, 'start');

    expect(res.status).toBe(200);
    expect(Ticket.parse(res.body)).toMatchObject({ id: ticket.id, status: 'PREPARING' });
    expect((await reportsFor(service.db, ticket.id)).map((report) => report.status)).toEqual([
      'QUEUED',
      'PREPARING',
    ]);
  });

  it('lets an admin start a ticket too', async () => {
    const { ticket } = await queuedTicket();

    const res = await request(service.app).post(`/tickets/${ticket.id}/start`).use(asUser('admin'));

    expect(res.status).toBe(200);
    expect(Ticket.parse(res.body).status).toBe('PREPARING');
  });

  it('returns 409 and changes nothing when the ticket is not queued', async () => {
    const ticket = await ticketIn('PREPARING');

    const res = await staffAction(ticket.id, 'start');

    expectProblem(res, 409, 'invalid-ticket-state');
    expect(await getTicket(ticket.id)).toEqual(ticket);
    expect(await reportsFor(service.db, ticket.id)).toHaveLength(2);
  });

  it('returns 404 for a ticket that does not exist', async () => {
    const res = await staffAction('tkt_missing', 'start');

    expectProblem(res, 404, 'ticket-not-found');
  });

  it('returns 403 to a customer and leaves the ticket queued', async () => {
    const { ticket } = await queuedTicket();

    const res = await request(service.app)
      .post(`/tickets/${ticket.id}/start`)
      .use(asUser('customer'));

    expectProblem(res, 403, 'forbidden');
    expect((await getTicket(ticket.id)).status).toBe('QUEUED');
  });

  it('returns 401 to a service acting for no user', async () => {
    const { ticket } = await queuedTicket();

    const res = await request(service.app).post(`/tickets/${ticket.id}/start`).use(asGateway());

    expectProblem(res, 401, 'unauthenticated');
    expect((await getTicket(ticket.id)).status).toBe('QUEUED');
  });
});

describe('POST /tickets/:ticketId/ready', () => {
  it('moves a ticket in preparation to READY and reports it', async () => {
    const ticket = await ticketIn('PREPARING');

    const res = await staffAction(ticket.id, 'ready');

    expect(res.status).toBe(200);
    expect(Ticket.parse(res.body)).toMatchObject({ id: ticket.id, status: 'READY' });
    expect((await reportsFor(service.db, ticket.id)).map((report) => report.status)).toEqual([
      'QUEUED',
      'PREPARING',
      'READY',
    ]);
  });

  it.each(['QUEUED', 'READY', 'CANCELLED'] as const)(
    'returns 409 and changes nothing when the ticket is %s',
    async (status) => {
      const ticket = await ticketIn(status);

      const res = await staffAction(ticket.id, 'ready');

      expectProblem(res, 409, 'invalid-ticket-state');
      expect(await getTicket(ticket.id)).toEqual(ticket);
    },
  );

  it('returns 404 for a ticket that does not exist', async () => {
    const res = await staffAction('tkt_missing', 'ready');

    expectProblem(res, 404, 'ticket-not-found');
  });

  it('returns 403 to a customer and leaves the ticket in preparation', async () => {
    const ticket = await ticketIn('PREPARING');

    const res = await request(service.app)
      .post(`/tickets/${ticket.id}/ready`)
      .use(asUser('customer'));

    expectProblem(res, 403, 'forbidden');
    expect((await getTicket(ticket.id)).status).toBe('PREPARING');
  });
});

describe('GET /tickets', () => {
  it('lists tickets of a status to the kitchen staff, oldest first', async () => {
    const older = await ticketIn('QUEUED');
    const started = await ticketIn('PREPARING');
    const newer = await ticketIn('QUEUED');

    const res = await request(service.app)
      .get('/tickets')
      .query({ status: 'QUEUED' })
      .use(asUser('kitchen'));

    expect(res.status).toBe(200);
    const ids = TicketList.parse(res.body).items.map((ticket) => ticket.id);
    expect(ids).toContain(older.id);
    expect(ids).not.toContain(started.id);
    expect(ids.indexOf(older.id)).toBeLessThan(ids.indexOf(newer.id));
    expect(TicketList.parse(res.body).items.every((ticket) => ticket.status === 'QUEUED')).toBe(
      true,
    );
  });

  it("answers a service acting for no user with an order's ticket, as the gateway composes an order view", async () => {
    const { ticket } = await queuedTicket();

    const res = await request(service.app)
      .get('/tickets')
      .query({ orderId: ticket.orderId })
      .use(asGateway());

    expect(res.status).toBe(200);
    expect(TicketList.parse(res.body).items).toEqual([ticket]);
  });

  it('returns 400 for an unknown status', async () => {
    const res = await request(service.app)
      .get('/tickets')
      .query({ status: 'BURNT' })
      .use(asUser('kitchen'));

    expectProblem(res, 400, 'validation');
  });

  it('returns 403 to a customer', async () => {
    const res = await request(service.app).get('/tickets').use(asUser('customer'));

    expectProblem(res, 403, 'forbidden');
  });

  it('returns 403 to the order service acting for no user, which never reads tickets, revealing none', async () => {
    const { ticket } = await queuedTicket();

    const list = await request(service.app)
      .get('/tickets')
      .query({ orderId: ticket.orderId })
      .use(asOrderService());
    const one = await request(service.app).get(`/tickets/${ticket.id}`).use(asOrderService());

    expect(expectProblem(list, 403, 'forbidden')).not.toHaveProperty('items');
    expect(expectProblem(one, 403, 'forbidden')).not.toHaveProperty('id');
  });
});

describe('GET /tickets/:ticketId', () => {
  it('returns the ticket to the kitchen staff and to a service acting for no user', async () => {
    const { ticket } = await queuedTicket();

    const asStaff = await request(service.app).get(`/tickets/${ticket.id}`).use(asUser('kitchen'));
    const asService = await request(service.app).get(`/tickets/${ticket.id}`).use(asGateway());

    expect(asStaff.status).toBe(200);
    expect(Ticket.parse(asStaff.body)).toEqual(ticket);
    expect(asService.status).toBe(200);
    expect(Ticket.parse(asService.body)).toEqual(ticket);
  });

  it('returns 404 for a ticket that does not exist', async () => {
    const res = await request(service.app).get('/tickets/tkt_missing').use(asUser('kitchen'));

    expectProblem(res, 404, 'ticket-not-found');
  });

  it('returns 403 to a customer', async () => {
    const { ticket } = await queuedTicket();

    const res = await request(service.app).get(`/tickets/${ticket.id}`).use(asUser('customer'));

    expectProblem(res, 403, 'forbidden');
  });
});
