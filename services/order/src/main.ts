import { createClient, kitchenApi, paymentApi } from '@cheesecake/contracts';
import {
  createLogger,
  internalHeaders,
  listen,
  OUTBOX_MIGRATIONS,
  OutboxRelay,
  openDatabase,
  runMigrations,
  shutdownGracefully,
} from '@cheesecake/service-kit';
import { createApp } from './app.js';
import { loadOrderConfig } from './config.js';
import { createDeliverers } from './deliverers.js';
import { ORDER_MIGRATIONS } from './order-store.js';

const config = loadOrderConfig();
const log = createLogger('order', config.LOG_LEVEL);

const db = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, log });
await runMigrations(db, [OUTBOX_MIGRATIONS, ORDER_MIGRATIONS], log);

const payments = createClient(paymentApi, {
  service: 'payment',
  baseUrl: config.PAYMENT_SERVICE_URL,
  timeoutMs: config.DOWNSTREAM_TIMEOUT_MS,
  prepareHeaders: internalHeaders({
    secret: config.INTERNAL_TOKEN_SECRET,
    issuer: 'order',
    audience: 'payment',
  }),
});
const kitchen = createClient(kitchenApi, {
  service: 'kitchen',
  baseUrl: config.KITCHEN_SERVICE_URL,
  timeoutMs: config.DOWNSTREAM_TIMEOUT_MS,
  prepareHeaders: internalHeaders({
    secret: config.INTERNAL_TOKEN_SECRET,
    issuer: 'order',
    audience: 'kitchen',
  }),
});
const relay = new OutboxRelay({
  db,
  log,
  deliverers: createDeliverers({ kitchen, payments }),
  pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
  maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
});

const app = createApp({
  db,
  log,
  payments,
  kitchen,
  outbox: relay,
  internalTokenSecret: config.INTERNAL_TOKEN_SECRET,
  bodyLimit: config.BODY_LIMIT,
});
const server = await listen(app, config.PORT, config.HOST, log);
relay.start();

shutdownGracefully({
  app,
  server,
  log,
  steps: [() => relay.stop(), () => db.close()],
});
