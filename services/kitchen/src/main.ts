import { createClient, orderApi } from '@cheesecake/contracts';
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
import { createApp, KITCHEN_MIGRATIONS } from './app.js';
import { loadKitchenConfig } from './config.js';
import { createDeliverers } from './deliverers.js';
import { Preparation } from './preparation.js';

const config = loadKitchenConfig();
const log = createLogger('kitchen', config.LOG_LEVEL);
const db = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, log });
await runMigrations(db, [OUTBOX_MIGRATIONS, KITCHEN_MIGRATIONS], log);

const orders = createClient(orderApi, {
  service: 'order',
  baseUrl: config.ORDER_SERVICE_URL,
  timeoutMs: config.DOWNSTREAM_TIMEOUT_MS,
  prepareHeaders: internalHeaders({
    secret: config.INTERNAL_TOKEN_SECRET,
    issuer: 'kitchen',
    audience: 'order',
  }),
});
const relay = new OutboxRelay({
  db,
  log,
  deliverers: createDeliverers(orders),
  pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
  maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
});
const preparation = config.KITCHEN_AUTO_PREPARE
  ? new Preparation({
      db,
      log,
      reports: relay,
      stations: config.KITCHEN_STATIONS,
      startDelayMs: config.KITCHEN_START_DELAY_MS,
      preparationMs: config.KITCHEN_PREPARATION_MS,
    })
  : undefined;

const app = createApp({
  db,
  log,
  reports: relay,
  internalTokenSecret: config.INTERNAL_TOKEN_SECRET,
  bodyLimit: config.BODY_LIMIT,
});
const server = await listen(app, config.PORT, config.HOST, log);
relay.start();
preparation?.start();

shutdownGracefully({
  app,
  server,
  log,
  steps: [async () => preparation?.stop(), () => relay.stop(), () => db.close()],
});
