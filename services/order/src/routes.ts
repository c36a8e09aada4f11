import { orderApi } from '@cheesecake/contracts';
import { handle, requireService, requireUser } from '@cheesecake/service-kit';
import { Router } from 'express';
import { handleEventStream, openEventStream } from './live/event-stream.js';
import type { StatusStreams } from './live/status-streams.js';
import { applyTicketReport } from './orders/apply-ticket-report.js';
import { cancelOrder } from './orders/cancel-order.js';
import type { IdempotencyKeys } from './orders/idempotency-keys.js';
import type { OrderDeps } from './orders/order-deps.js';
import { payOrder } from './orders/pay-order.js';
import { placeOrder } from './orders/place-order.js';
import { getOrder, getTimeline, listOrders } from './orders/read-orders.js';

/** What the order service's routes hand their requests to. */
interface RouteDeps {
  orders: OrderDeps;
  statusStreams: StatusStreams;
  idempotencyKeys: IdempotencyKeys;
}

/**
 * The order service's routes, one per record of its contract, each handing its request to
 * one use case. The three that change an order run once per customer and Idempotency-Key.
 */
export function orderRoutes(deps: RouteDeps): Router {
  const router = Router();
  menuRoutes(router, deps);
  orderChangeRoutes(router, deps);
  orderReadRoutes(router, deps);
  orderEventStreamRoutes(router, deps);
  kitchenReportRoutes(router, deps);
  return router;
}

/** The menu, for anyone. */
function menuRoutes(router: Router, { orders }: RouteDeps): void {
  handle(router, orderApi.getMenu, async () => ({
    status: 200,
    body: await orders.menu.getMenu(),
  }));
}

/** Placing, paying and cancelling an order: a customer's, once per Idempotency-Key. */
function orderChangeRoutes(router: Router, { orders, idempotencyKeys }: RouteDeps): void {
  handle(router, orderApi.createOrder, async ({ body, headers }, context) => {
    const customer = requireUser(context.caller, orderApi.createOrder.access);
    const key = headers['idempotency-key'];
    return idempotencyKeys.run(context, { scope: customer.id, key }, async () => {
      const order = await placeOrder(orders, customer, body, context.requestId);
      return {
        status: 201,
        body: order,
        headers: { location: `/orders/${encodeURIComponent(order.id)}` },
      };
    });
  });

  handle(router, orderApi.payOrder, async ({ params, body, headers }, context) => {
    const customer = requireUser(context.caller, orderApi.payOrder.access);
    const key = headers['idempotency-key'];
    return idempotencyKeys.run(context, { scope: customer.id, key }, async ({ resumed }) => {
      const order = await payOrder(
        orders,
        customer,
        params.orderId,
        body.paymentMethod,
        { requestId: context.requestId, user: customer },
        key === undefined ? undefined : { key, resumed },
      );
      return { status: 200, body: order };
    });
  });

  handle(router, orderApi.cancelOrder, async ({ params, headers }, context) => {
    const customer = requireUser(context.caller, orderApi.cancelOrder.access);
    const key = headers['idempotency-key'];
    return idempotencyKeys.run(context, { scope: customer.id, key }, async () => {
      const order = await cancelOrder(orders, customer, params.orderId, {
        requestId: context.requestId,
        user: customer,
      });
      return { status: 200, body: order };
    });
  });
}

/** Listing orders, one order and its timeline, for the users who may see them. */
function orderReadRoutes(router: Router, { orders }: RouteDeps): void {
  handle(router, orderApi.listOrders, async ({ query }, { caller }) => {
    const user = requireUser(caller, orderApi.listOrders.access);
    return { status: 200, body: await listOrders(orders, user, query) };
  });

  handle(router, orderApi.getOrder, async ({ params }, { caller }) => {
    const user = requireUser(caller, orderApi.getOrder.access);
    return { status: 200, body: await getOrder(orders, user, params.orderId) };
  });

  handle(router, orderApi.getTimeline, async ({ params }, { caller }) => {
    const user = requireUser(caller, orderApi.getTimeline.access);
    return { status: 200, body: await getTimeline(orders, user, params.orderId) };
  });
}

/**
 * The event streams of one order and of every order. Every refusal (400, 404, 403) is
 * answered before the stream starts.
 */
function orderEventStreamRoutes(router: Router, { orders, statusStreams }: RouteDeps): void {
  handleEventStream(
    router,
    orderApi.streamOrderEvents,
    async ({ params, headers }, { caller, req, res }) => {
      const user = requireUser(caller, orderApi.streamOrderEvents.access);
      const order = await getOrder(orders, user, params.orderId);
      const stream = await statusStreams.followOrder(order, headers['last-event-id']);
      if (stream.isOver) {
        // 204 tells an EventSource reconnecting after the final status to stop for good.
        stream.cancel();
        res.status(204).end();
        return;
      }
      stream.pipeTo(openEventStream(req, res));
    },
  );

  handleEventStream(
    router,
    orderApi.streamAllOrderEvents,
    async ({ headers }, { caller, req, res }) => {
      requireUser(caller, orderApi.streamAllOrderEvents.access);
      const stream = await statusStreams.followAllOrders(headers['last-event-id']);
      stream.pipeTo(openEventStream(req, res));
    },
  );
}

/** The kitchen's internal reports of ticket statuses and stock levels. */
function kitchenReportRoutes(router: Router, { orders }: RouteDeps): void {
  handle(router, orderApi.reportTicketStatus, async ({ body }, { caller, requestId }) => {
    requireService(caller, ['kitchen']);
    return { status: 200, body: { applied: await applyTicketReport(orders, body, requestId) } };
  });

  handle(router, orderApi.reportStockLevel, async ({ body }, { caller }) => {
    requireService(caller, ['kitchen']);
    return { status: 200, body: { applied: await orders.menu.recordStockLevel(body) } };
  });
}
