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
import { Payments, paymentOutcomeCounter } from './payments/payments.js';
import { paymentRoutes } from './routes.js';

/** The payment service's own migrations; `../migrations` from both src/ and dist/. */
export const PAYMENT_MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

/** What the payment service's app needs; main.ts wires the real ones, tests their own. */
export interface AppDeps {
  db: Database;
  log: Logger;
  /** The secret internal credentials are signed with. */
  internalTokenSecret: string;
  /** Largest accepted JSON body, such as `100kb`. */
  bodyLimit: string;
}

/** The payment service's HTTP app, not listening: charges and refunds behind internal credentials. */
export function createApp(deps: AppDeps): Express {
  const metrics = new ServiceMetrics();
  const payments = new Payments(deps.db, paymentOutcomeCounter(metrics));
  return createServiceApp({
    log: deps.log,
    bodyLimit: deps.bodyLimit,
    authenticate: requireInternalCredential({
      secret: deps.internalTokenSecret,
      service: 'payment',
      // The gateway (an order's payment, ops) and the order service (charges, refunds).
      callers: ['gateway', 'order'],
    }),
    readiness: databaseReadiness(deps.db),
    routes: [paymentRoutes(payments)],
    metrics,
    faults: new FaultInjection({ service: 'payment', db: deps.db, log: deps.log, metrics }),
  });
}
