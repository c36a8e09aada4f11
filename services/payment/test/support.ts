import type { EndUser } from '@cheesecake/contracts';
import { type Database, FAULT_MIGRATIONS, type Logger } from '@cheesecake/service-kit';
import {
  internalCredential,
  openTestDatabase,
  silentLogger,
  TEST_INTERNAL_SECRET,
  useFixture,
} from '@cheesecake/service-kit/testing';
import type { Express } from 'express';
import { createApp, PAYMENT_MIGRATIONS } from '../src/app.js';

export const log: Logger = silentLogger();

/** A migrated throwaway payment database. */
export const openPaymentDatabase = () => openTestDatabase([FAULT_MIGRATIONS, PAYMENT_MIGRATIONS]);

/** The payment app under test and the migrated database it runs on. */
export interface PaymentService {
  db: Database;
  app: Express;
}

/** A payment service for the tests of this file: built before they run, closed after. */
export function usePaymentService(): PaymentService {
  return useFixture(
    async () => {
      const db = await openPaymentDatabase();
      return { db, app: paymentApp(db) };
    },
    (service) => service.db.close(),
  );
}

/** The payment app on `db`, accepting credentials signed with the test secret. */
export function paymentApp(db: Database): Express {
  return createApp({
    db,
    log,
    internalTokenSecret: TEST_INTERNAL_SECRET,
    bodyLimit: '100kb',
  });
}

/** The credential of the order service calling, for `user` if given. */
export const fromOrderService = (user?: EndUser) =>
  internalCredential({ issuer: 'order', audience: 'payment', ...(user ? { user } : {}) });

/** The credential of the kitchen service, which the payment service does not expect. */
export const fromKitchenService = (user?: EndUser) =>
  internalCredential({ issuer: 'kitchen', audience: 'payment', ...(user ? { user } : {}) });

/** The credential of the gateway calling, for `user` if given. */
export const fromGateway = (user?: EndUser) =>
  internalCredential({ issuer: 'gateway', audience: 'payment', ...(user ? { user } : {}) });
