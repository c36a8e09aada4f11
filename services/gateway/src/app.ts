import { gatewayApi } from '@cheesecake/contracts';
import { createServiceApp, type Logger, type ServiceMetrics } from '@cheesecake/service-kit';
import { type Express, type RequestHandler, Router } from 'express';
import { AccessTokens } from './auth/access-tokens.js';
import { authenticateUsers } from './auth/authentication.js';
import { Login } from './auth/login.js';
import type { Users } from './auth/users.js';
import { bodyLimitInBytes, type GatewayConfig } from './config.js';
import {
  cachedReadiness,
  type Downstreams,
  downstreamUrls,
  serviceClientsOf,
} from './downstream/downstreams.js';
import { createOpsClients, opsRoutes } from './downstream/ops.js';
import { OrderView } from './downstream/order-view.js';
import { ServiceProxy } from './downstream/proxy.js';
import { clientAddressOf } from './edge/client-address.js';
import { docsRoutes } from './edge/docs.js';
import { crossOriginAccess, securityHeaders } from './edge/hardening.js';
import { serveMenuFromCache } from './edge/menu-cache.js';
import { limitLogins, limitRequests } from './edge/rate-limits.js';
import type { UserLimits } from './edge/user-limits.js';
import { webClientRoutes } from './edge/web-client.js';
import { LiveUpdates } from './live/live-updates.js';
import { OrderStatusFollower } from './live/order-status-follower.js';
import { gatewayRoutes, holdPlace, proxiedRoutes } from './routes.js';

/** What the gateway is built from. */
export interface AppDeps {
  config: GatewayConfig;
  log: Logger;
  /** The services behind the gateway, each with its own policies (`createDownstreams`). */
  downstreams: Downstreams;
  /**
   * The gateway's Prometheus metrics, served at `/metrics`, which the downstreams' policies
   * tell of their calls and breaker states (`observer: metrics`).
   */
  metrics: ServiceMetrics;
  /** Who may sign in, their passwords already hashed (`DemoUsers.create`, once at startup). */
  users: Users;
  /** The budgets and quotas per user, shared with `createLiveUpdates` (`createUserLimits`). */
  limits: UserLimits;
  /** The folder the web client is built into (`dist` of `@cheesecake/web`), served at `/`. */
  webClientDir: string;
}

/** The routes that act for a signed-in user; the token and menu routes stay anonymous. */
const USER_ROUTES = ['/api/orders', '/api/kitchen', '/api/ops'];

// Answers on these routes are about one user's orders, so no cache may keep them,
// including the 401s, the 429s and the errors.
const noStore: RequestHandler = (_req, res, next) => {
  res.set('cache-control', 'no-store');
  next();
};

/** The WebSocket endpoint `GET /api/ws`, for the `upgrade` event of the server the app listens on. */
export function createLiveUpdates(deps: AppDeps): LiveUpdates {
  const { config, log } = deps;
  return new LiveUpdates({
    tokens: accessTokensOf(config),
    follower: new OrderStatusFollower(deps.downstreams.order, { log }),
    limits: deps.limits,
    log,
    clientAddress: clientAddressOf(config.TRUST_PROXY),
  });
}

function accessTokensOf(config: GatewayConfig): AccessTokens {
  return new AccessTokens({ secret: config.JWT_SECRET, ttlSeconds: config.TOKEN_TTL_SECONDS });
}

// Before any body is read: headers, CORS preflights, the docs and the web client, budgets,
// then the menu from memory.
function edgeRoutes(
  deps: AppDeps,
  tokens: AccessTokens,
  clients: ReturnType<typeof serviceClientsOf>,
): Router {
  const { config, log } = deps;
  const edge = Router();
  edge.use(
    securityHeaders({ https: config.TLS_CERT_FILE !== undefined }),
    crossOriginAccess(config.CORS_ALLOWED_ORIGINS),
  );
  // The API's description and the web client are static and anonymous: outside the budgets.
  edge.use(docsRoutes());
  edge.use(webClientRoutes(deps.webClientDir, log));
  edge.use(USER_ROUTES, noStore);
  edge.use(limitRequests({ budgets: deps.limits.budgets, tokens, log }));
  edge.get(
    gatewayApi.getMenu.path,
    serveMenuFromCache({ ttlSeconds: config.MENU_CACHE_TTL_SECONDS, order: clients.order }),
  );
  return edge;
}

/** The gateway as an express app: no listening, no globals. */
export function createApp(deps: AppDeps): Express {
  const { config, log, downstreams } = deps;
  const clients = serviceClientsOf(downstreams);
  const tokens = accessTokensOf(config);
  const login = new Login({ users: deps.users, tokens });
  const orderView = new OrderView(clients);

  const edge = edgeRoutes(deps, tokens, clients);

  const bodyLimitBytes = bodyLimitInBytes(config.BODY_LIMIT);
  // Routes that pass bodies through run before the JSON parser, so they authenticate first.
  const streaming = Router();
  streaming.use(USER_ROUTES, authenticateUsers(tokens));
  streaming.use(
    proxiedRoutes({
      streams: deps.limits.streams,
      requestsInProgress: deps.limits.requestsInProgress,
      order: new ServiceProxy(downstreams.order, { publicPrefix: '/api', bodyLimitBytes }),
      kitchen: new ServiceProxy(downstreams.kitchen, {
        publicPrefix: '/api/kitchen',
        bodyLimitBytes,
      }),
    }),
  );

  const authenticate = Router();
  authenticate.post(
    gatewayApi.issueToken.path,
    limitLogins({
      perMinute: config.RATE_LIMIT_LOGIN_PER_MINUTE,
      store: deps.limits.logins,
      log,
    }),
  );
  authenticate.use(
    USER_ROUTES,
    authenticateUsers(tokens),
    holdPlace(deps.limits.requestsInProgress),
  );

  const app = createServiceApp({
    log,
    bodyLimit: config.BODY_LIMIT,
    edge,
    streamingRoutes: [streaming],
    authenticate,
    readiness: cachedReadiness(downstreamUrls(config)),
    routes: [gatewayRoutes({ login, orderView, tokens }), opsRoutes(createOpsClients(config, log))],
    // Served on the public port, like /healthz: it holds counts and durations by route
    // pattern, never an id or a user, and Prometheus scrapes it without a token.
    metrics: deps.metrics,
  });
  // req.ip, which the budgets and the login limit count by, is then the client's, not the proxy's.
  app.set('trust proxy', config.TRUST_PROXY);
  return app;
}
