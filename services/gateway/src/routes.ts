import { gatewayApi } from '@cheesecake/contracts';
import { handle, requireUser } from '@cheesecake/service-kit';
import { Router } from 'express';
import { type Downstreams, passThrough } from './downstreams.js';
import type { Login } from './login.js';
import type { OrderView } from './order-view.js';

/**
 * The public API: each route checks the caller's role against its record's `access` and
 * hands the call to a service.
 */
export function gatewayRoutes(deps: {
  downstreams: Downstreams;
  login: Login;
  orderView: OrderView;
}): Router {
  const { order, kitchen } = deps.downstreams;
  const router = Router();

  handle(router, gatewayApi.issueToken, async ({ body }) => ({
    status: 200,
    body: await deps.login.issueToken(body),
  }));

  handle(router, gatewayApi.createOrder, async ({ body }, { caller, requestId }) => {
    const user = requireUser(caller, gatewayApi.createOrder.access);
    const created = await order.createOrder({ body }, { requestId, user });
    if (created.status !== 201) return passThrough('order', created);
    return {
      ...created,
      headers: { location: `/api/orders/${encodeURIComponent(created.body.id)}` },
    };
  });

  handle(router, gatewayApi.listOrders, async ({ query }, { caller, requestId }) => {
    const user = requireUser(caller, gatewayApi.listOrders.access);
    return passThrough('order', await order.listOrders({ query }, { requestId, user }));
  });

  handle(router, gatewayApi.getOrder, async ({ params }, { caller, requestId, log }) => {
    const user = requireUser(caller, gatewayApi.getOrder.access);
    return passThrough(
      'order',
      await deps.orderView.details(params.orderId, { user, requestId, log }),
    );
  });

  handle(router, gatewayApi.payOrder, async ({ params, body }, { caller, requestId }) => {
    const user = requireUser(caller, gatewayApi.payOrder.access);
    return passThrough('order', await order.payOrder({ params, body }, { requestId, user }));
  });

  handle(router, gatewayApi.cancelOrder, async ({ params }, { caller, requestId }) => {
    const user = requireUser(caller, gatewayApi.cancelOrder.access);
    return passThrough('order', await order.cancelOrder({ params }, { requestId, user }));
  });

  handle(router, gatewayApi.listTickets, async ({ query }, { caller, requestId }) => {
    const user = requireUser(caller, gatewayApi.listTickets.access);
    return passThrough('kitchen', await kitchen.listTickets({ query }, { requestId, user }));
  });

  handle(router, gatewayApi.startTicket, async ({ params }, { caller, requestId }) => {
    const user = requireUser(caller, gatewayApi.startTicket.access);
    return passThrough('kitchen', await kitchen.startTicket({ params }, { requestId, user }));
  });

  handle(router, gatewayApi.markTicketReady, async ({ params }, { caller, requestId }) => {
    const user = requireUser(caller, gatewayApi.markTicketReady.access);
    return passThrough('kitchen', await kitchen.markTicketReady({ params }, { requestId, user }));
  });

  handle(router, gatewayApi.setStock, async ({ params, body }, { caller, requestId }) => {
    const user = requireUser(caller, gatewayApi.setStock.access);
    return passThrough('kitchen', await kitchen.setStock({ params, body }, { requestId, user }));
  });

  return router;
}
