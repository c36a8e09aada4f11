import { fileURLToPath } from 'node:url';
import type { kitchenApi, paymentApi } from '@cheesecake/contracts';
import {
  type Client,
  createServiceApp,
  type Database,
  databaseReadiness,
  FaultInjection,
  type Logger,
  type OutboxRelay,
  requireInternalCredential,
  ServiceMetrics,
} from '@cheesecake/service-kit';
import type { Express } from 'express';
import type { StatusNotifications } from './live/status-notifications.js';
import { StatusStreams } from './live/status-streams.js';
import { MenuCatalog } from './menu/menu.js';
import { IdempotencyKeys } from './orders/idempotency-keys.js';
import type { OrderDeps } from './orders/order-deps.js';
import { SagaMetrics } from './orders/saga-metrics.js';
import { orderRoutes } from './routes.js';

/** The order service's own migrations, to run after the outbox's and the idempotency keys'. */
export const ORDER_MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

/**
 * The idempotency keys table, in a folder of its own so that databases which ran it from
 * service-kit (recorded as `idempotency/…`) do not run it again.
 */
export const IDEMPOTENCY_MIGRATIONS = fileURLToPath(
  new URL('../migrations/idempotency', import.meta.url),
);

/** Everything the order service's app is built from; main.ts wires the real ones, tests their own. */
export interface AppDeps {
  db: Database;
  log: Logger;
  payments: Client<typeof paymentApi>;
  kitchen: Client<typeof kitchenApi>;
  /** The outbox relay, woken after a commit that enqueued a message. */
  outbox: OutboxRelay;
  /** Status changes as any replica commits them; whoever made it starts and stops it. */
  statusNotifications: StatusNotifications;
  internalTokenSecret: string;
  bodyLimit: string;
  /** Served at `/metrics`; main.ts shares them with its clients' breakers. Made here when omitted. */
  metrics?: ServiceMetrics;
}

/**
 * The order service's HTTP app, not listening: the menu, orders and their live status behind
 * internal credentials; its metrics, injected faults and the dead letters of its outbox.
 */
export function createApp(deps: AppDeps): Express {
  const { db } = deps;
  const menu = new MenuCatalog(db);
  const metrics = deps.metrics ?? new ServiceMetrics();
  const orders: OrderDeps = {
    db,
    menu,
    payments: deps.payments,
    kitchen: deps.kitchen,
    outbox: deps.outbox,
    sagaMetrics: new SagaMetrics(metrics, db, deps.log),
  };
  const statusStreams = new StatusStreams({
    db,
    notifications: deps.statusNotifications,
    log: deps.log,
  });
  return createServiceApp({
    log: deps.log,
    bodyLimit: deps.bodyLimit,
    authenticate: requireInternalCredential({
      secret: deps.internalTokenSecret,
      service: 'order',
      // The gateway (orders, their events, ops) and the kitchen (ticket status and stock reports).
      callers: ['gateway', 'kitchen'],
    }),
    readiness: databaseReadiness(db),
    routes: [orderRoutes({ orders, statusStreams, idempotencyKeys: new IdempotencyKeys({ db }) })],
    metrics,
    faults: new FaultInjection({ service: 'order', db, log: deps.log, metrics }),
    outbox: { db, relay: deps.outbox },
  });
}
