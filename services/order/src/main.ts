import { kitchenApi, paymentApi } from '@cheesecake/contracts';
import {
  FAULT_MIGRATIONS,
  OUTBOX_MIGRATIONS,
  prepareService,
  runService,
  ServiceCalls,
  ServiceMetrics,
} from '@cheesecake/service-kit';
import { createApp, IDEMPOTENCY_MIGRATIONS, ORDER_MIGRATIONS } from './app.js';
import { loadOrderConfig } from './config.js';
import { StatusNotifications } from './live/status-notifications.js';
import { createDeliverers } from './orders/deliverers.js';

const config = loadOrderConfig();
const { log, db } = await prepareService('order', config, [
  OUTBOX_MIGRATIONS,
  FAULT_MIGRATIONS,
  IDEMPOTENCY_MIGRATIONS,
  ORDER_MIGRATIONS,
]);

const metrics = new ServiceMetrics();
const calls = new ServiceCalls('order', config, { db, log, metrics });
const payments = calls.to('payment', config.PAYMENT_SERVICE_URL).client(paymentApi);
const kitchen = calls.to('kitchen', config.KITCHEN_SERVICE_URL).client(kitchenApi);
const relay = calls.relay(createDeliverers({ kitchen, payments, db }));

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
