import { fileURLToPath } from 'node:url';
import {
  createServiceApp,
  type Database,
  databaseReadiness,
  FaultInjection,
  type Logger,
  requireInternalCredential,
  ServiceMetrics,
} from '@cheesecake/service-kit';
import type { Express } from 'express';
import { ReportedChanges, type ReportSender } from './reports/reported-changes.js';
import { kitchenRoutes } from './routes.js';
import { Stock } from './stock/stock.js';
import { Tickets } from './tickets/tickets.js';

/** The kitchen's own migrations, to run after the outbox's. */
export const KITCHEN_MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

/** What the kitchen's HTTP app needs. */
export interface AppDeps {
  db: Database;
  log: Logger;
  /** Woken after each change, so its report leaves at once: the outbox relay. */
  reports: ReportSender;
  internalTokenSecret: string;
  bodyLimit: string;
  /** Served at `/metrics`; main.ts shares them with its client's breaker. Made here when omitted. */
  metrics?: ServiceMetrics;
}

/**
 * The kitchen service's HTTP app: tickets and stock, behind internal credentials; its
 * metrics, injected faults and the dead letters of its outbox for operators.
 */
export function createApp(deps: AppDeps): Express {
  const { db, log, reports } = deps;
  const changes = new ReportedChanges(db, reports);
  const tickets = new Tickets(changes);
  const stock = new Stock(changes);
  const metrics = deps.metrics ?? new ServiceMetrics();
  return createServiceApp({
    log,
    bodyLimit: deps.bodyLimit,
    authenticate: requireInternalCredential({
      secret: deps.internalTokenSecret,
      service: 'kitchen',
      // The gateway (tickets, stock, ops) and the order service (tickets for paid orders).
      callers: ['gateway', 'order'],
    }),
    readiness: databaseReadiness(db),
    routes: [kitchenRoutes({ tickets, stock })],
    metrics,
    faults: new FaultInjection({ service: 'kitchen', db, log, metrics }),
    outbox: { db, relay: reports },
  });
}
