import { kitchenApi, paymentApi } from '@cheesecake/contracts';
import {
  Downstream,
  DownstreamPolicy,
  OUTBOX_MIGRATIONS,
  OutboxRelay,
  prepareService,
  runService,
  ServiceMetrics,
} from '@cheesecake/service-kit';
import { createApp, IDEMPOTENCY_MIGRATIONS, ORDER_MIGRATIONS } from './app.js';
import { loadOrderConfig } from './config.js';
import { StatusNotifications } from './live/status-notifications.js';
import { createDeliverers } from './orders/deliverers.js';

const config = loadOrderConfig();
const { log, db } = await prepareService('order', config, [
  OUTBOX_MIGRATIONS,
  IDEMPOTENCY_MIGRATIONS,
  ORDER_MIGRATIONS,
]);

const metrics = new ServiceMetrics();
const downstream = (to: string, baseUrl: string) =>
  new Downstream({
    from: 'order',
    to,
    baseUrl,
    secret: config.INTERNAL_TOKEN_SECRET,
    policy: new DownstreamPolicy({
      service: to,
      timeoutMs: config.DOWNSTREAM_TIMEOUT_MS,
      log,
      onStateChange: metrics.recordBreakerState,
    }),
  });
const payments = downstream('payment', config.PAYMENT_SERVICE_URL).client(paymentApi);
const kitchen = downstream('kitchen', config.KITCHEN_SERVICE_URL).client(kitchenApi);
const relay = new OutboxRelay({
  db,
  log,
  deliverers: createDeliverers({ kitchen, payments, db }),
  pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
  maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
});

// Started as the server starts listening, before it takes a request; stopped after shutdown has
// ended every stream.
const statusNotifications = new StatusNotifications({ db, log });

const app = createApp({
  db,
  log,
  payments,
  kitchen,
  outbox: relay,
  statusNotifications,
  internalTokenSecret: config.INTERNAL_TOKEN_SECRET,
  bodyLimit: config.BODY_LIMIT,
  metrics,
});
await runService({
  app,
  port: config.PORT,
  host: config.HOST,
  log,
  workers: [statusNotifications, relay],
  db,
});
