import {
  createServiceApp,
  type Database,
  databaseReadiness,
  type Logger,
  requireInternalCredential,
} from '@cheesecake/service-kit';
import type { Express } from 'express';
import { Payments } from './payments.js';
import { paymentRoutes } from './routes.js';

export interface AppDeps {
  db: Database;
  log: Logger;
  /** The secret internal credentials are signed with. */
  internalTokenSecret: string;
  /** Largest accepted JSON body, such as `100kb`. */
  bodyLimit: string;
}

export function createApp(deps: AppDeps): Express {
  const payments = new Payments(deps.db);
  return createServiceApp({
    log: deps.log,
    bodyLimit: deps.bodyLimit,
    authenticate: requireInternalCredential({
      secret: deps.internalTokenSecret,
      service: 'payment',
    }),
    readiness: databaseReadiness(deps.db),
    routes: [paymentRoutes(payments)],
  });
}
