import { FAULT_MIGRATIONS, prepareService, runService } from '@cheesecake/service-kit';
import { createApp, PAYMENT_MIGRATIONS } from './app.js';
import { loadPaymentConfig } from './config.js';

const config = loadPaymentConfig();
const { log, db } = await prepareService('payment', config, [FAULT_MIGRATIONS, PAYMENT_MIGRATIONS]);

const app = createApp({
  db,
  log,
  internalTokenSecret: config.INTERNAL_TOKEN_SECRET,
  bodyLimit: config.BODY_LIMIT,
});
await runService({ app, port: config.PORT, host: config.HOST, log, db });
