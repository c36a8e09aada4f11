import { gatewayApi, kitchenApi, orderApi, problemTypes, Role } from '@cheesecake/contracts';
import { handle, handlerContext, ProblemError, requireUser } from '@cheesecake/service-kit';
import { type RequestHandler, Router } from 'express';
import type { AccessTokens } from './auth/access-tokens.js';
import { endAtTokenExpiry, userOfAccessToken } from './auth/authentication.js';
import type { Login } from './auth/login.js';
import { passThrough } from './downstream/downstreams.js';
import type { OrderView } from './downstream/order-view.js';
import type { ServiceProxy } from './downstream/proxy.js';
import type { UserQuota } from './edge/user-limits.js';

/**
 * The routes a service answers as they are: each checks the caller's role against its
 * public record's `access`, then streams the request to the service's route and its answer back.
 */
export function proxiedRoutes(proxies: {
  order: ServiceProxy;
  kitchen: ServiceProxy;
  streams: UserQuota;
  requestsInProgress: UserQuota;
}): Router {
  const { order, kitchen, streams, requestsInProgress } = proxies;
  const router = Router();
  const forwarded = [
    [gatewayApi.createOrder, order, orderApi.createOrder],
    [gatewayApi.listOrders, order, orderApi.listOrders],
    [gatewayApi.payOrder, order, orderApi.payOrder],
    [gatewayApi.cancelOrder, order, orderApi.cancelOrder],
    [gatewayApi.getTimeline, order, orderApi.getTimeline],
    [gatewayApi.streamOrderEvents, order, orderApi.streamOrderEvents],
    [gatewayApi.listTickets, kitchen, kitchenApi.listTickets],
    [gatewayApi.startTicket, kitchen, kitchenApi.startTicket],
    [gatewayApi.markTicketReady, kitchen, kitchenApi.markTicketReady],
    [gatewayApi.listStock, kitchen, kitchenApi.listStock],
    [gatewayApi.setStock, kitchen, kitchenApi.setStock],
  ] as const;
  for (const [route, proxy, target] of forwarded) {
    const method = route.method.toLowerCase() as Lowercase<typeof route.method>;
    const handlers =
      route === gatewayApi.streamOrderEvents
        ? [holdPlace(streams), endAtTokenExpiry]
        : [holdPlace(requestsInProgress)];
    router[method](route.path, ...handlers, proxy.forward(route, target));
  }
  return router;
}

/**
 * Holds one of the signed-in user's places in `quota` for as long as the answer lasts; 429
 * when all are held.
 */
export function holdPlace(quota: UserQuota): RequestHandler {
  return (req, res, next) => {
    const release = quota.take(requireUser(handlerContext(req, res).caller, Role.options));
    res.once('close', release);
    next();
  };
}

/** The routes the gateway answers itself: tokens, the composed order, the WebSocket's plain GET. */
export function gatewayRoutes(deps: {
  login: Login;
  orderView: OrderView;
  tokens: AccessTokens;
}): Router {
  const router = Router();

  handle(router, gatewayApi.issueToken, async ({ body }) => ({
    status: 200,
    body: await deps.login.issueToken(body),
  }));

  handle(router, gatewayApi.getOrder, async ({ params }, { caller, requestId, log }) => {
    const user = requireUser(caller, gatewayApi.getOrder.access);
    return passThrough(
      'order',
      await deps.orderView.details(params.orderId, { user, requestId, log }),
    );
  });

  // The handshake itself never reaches express; a plain GET is told to open a WebSocket,
  // once its token passes, as the handshake would check it.
  router.get(gatewayApi.liveUpdates.path, async (req, res) => {
    const token = typeof req.query.access_token === 'string' ? req.query.access_token : undefined;
    if (!token) res.set('www-authenticate', 'Bearer');
    await userOfAccessToken(token, deps.tokens);
    throw new ProblemError(
      problemTypes.upgradeRequired,
      'Open a WebSocket on this URL, with the access token as ?access_token=',
    );
  });

  return router;
}
