import { orderApi } from '@cheesecake/contracts';
import {
  FAULT_MIGRATIONS,
  OUTBOX_MIGRATIONS,
  prepareService,
  runService,
  ServiceCalls,
  ServiceMetrics,
} from '@cheesecake/service-kit';
import { createApp, KITCHEN_MIGRATIONS } from './app.js';
import { loadKitchenConfig } from './config.js';
import { createDeliverers } from './reports/deliverers.js';
import { Preparation } from './tickets/preparation.js';

const config = loadKitchenConfig();
const { log, db } = await prepareService('kitchen', config, [
  OUTBOX_MIGRATIONS,
  FAULT_MIGRATIONS,
  KITCHEN_MIGRATIONS,
]);

const metrics = new ServiceMetrics();
const calls = new ServiceCalls('kitchen', config, { db, log, metrics });
const orders = calls.to('order', config.ORDER_SERVICE_URL).client(orderApi);
const relay = calls.relay(createDeliverers(orders));
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
  metrics,
});
// Preparation wakes the relay, so it comes after it: started later, stopped first.
const workers = preparation ? [relay, preparation] : [relay];
await runService({ app, port: config.PORT, host: config.HOST, log, workers, db });
