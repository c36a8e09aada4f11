import { createLogger, openDatabase, runMigrations, runService } from '@cheesecake/service-kit';
import { createApp, PAYMENT_MIGRATIONS } from './app.js';
import { loadPaymentConfig } from './config.js';

const config = loadPaymentConfig();
const log = createLogger('payment', config.LOG_LEVEL);
const db = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, log });
await runMigrations(db, [PAYMENT_MIGRATIONS], log);

const app = createApp({
  db,
  log,
  internalTokenSecret: config.INTERNAL_TOKEN_SECRET,
  bodyLimit: config.BODY_LIMIT,
});
await runService({ app, port: config.PORT, host: config.HOST, log, db });
