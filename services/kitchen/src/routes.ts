import { kitchenApi, type Role } from '@cheesecake/contracts';
import { type Caller, handle, requireService, requireUser } from '@cheesecake/service-kit';
import { Router } from 'express';
import type { Stock } from './stock/stock.js';
import type { Tickets } from './tickets/tickets.js';

/**
 * Tickets may be read by the users their record names, and by the gateway acting for no
 * user: it reads an order's ticket that way to compose the order view, after the order
 * service has checked who may see the order.
 */
function requireUserOrGateway(caller: Caller, roles: readonly Role[]): void {
  if (caller.user) requireUser(caller, roles);
  else requireService(caller, ['gateway']);
}

export function kitchenRoutes(domain: { tickets: Tickets; stock: Stock }): Router {
  const { tickets, stock } = domain;
  const router = Router();

  handle(router, kitchenApi.createTicket, async ({ body }, { caller, requestId, log }) => {
    requireService(caller, ['order']);
    const { ticket, created } = await tickets.create(body, requestId);
    // A redelivered message (its X-Message-Id is on this request's log lines) finds the
    // order's ticket and changes nothing.
    if (!created) log.info({ orderId: body.orderId, ticketId: ticket.id }, 'ticket already there');
    return { status: created ? 201 : 200, body: ticket };
  });

  handle(router, kitchenApi.listTickets, async ({ query }, { caller }) => {
    requireUserOrGateway(caller, kitchenApi.listTickets.access);
    return { status: 200, body: { items: await tickets.list(query) } };
  });

  handle(router, kitchenApi.getTicket, async ({ params }, { caller }) => {
    requireUserOrGateway(caller, kitchenApi.getTicket.access);
    return { status: 200, body: await tickets.get(params.ticketId) };
  });

  handle(router, kitchenApi.startTicket, async ({ params }, { caller, requestId }) => {
    requireUser(caller, kitchenApi.startTicket.access);
    return { status: 200, body: await tickets.start(params.ticketId, requestId) };
  });

  handle(router, kitchenApi.markTicketReady, async ({ params }, { caller, requestId }) => {
    requireUser(caller, kitchenApi.markTicketReady.access);
    return { status: 200, body: await tickets.markReady(params.ticketId, requestId) };
  });

  handle(
    router,
    kitchenApi.cancelTicketForOrder,
    async ({ params, body }, { caller, requestId }) => {
      requireService(caller, ['order']);
      const ticket = await tickets.cancelForOrder(params.orderId, body.orderNumber, requestId);
      return { status: 200, body: ticket };
    },
  );

  handle(router, kitchenApi.listStock, async (_request, { caller }) => {
    requireUser(caller, kitchenApi.listStock.access);
    return { status: 200, body: { items: await stock.list() } };
  });

  handle(router, kitchenApi.setStock, async ({ params, body }, { caller, requestId }) => {
    requireUser(caller, kitchenApi.setStock.access);
    return { status: 200, body: await stock.set(params.menuItemId, body.quantity, requestId) };
  });

  return router;
}
