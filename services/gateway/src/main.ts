import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createLogger, endOnShutdown, runService, ServiceMetrics } from '@cheesecake/service-kit';
import { createApp, createLiveUpdates } from './app.js';
import { DemoUsers } from './auth/users.js';
import { loadGatewayConfig } from './config.js';
import { createDownstreams } from './downstream/downstreams.js';
import { LocalCounts, type RateLimitCounts, SharedCounts } from './edge/rate-limit-counts.js';
import { createUserLimits } from './edge/user-limits.js';

const config = loadGatewayConfig();
const log = createLogger('gateway', config.LOG_LEVEL);
const metrics = new ServiceMetrics();
// One breaker, bulkhead and retry policy per service, shared by every way the gateway calls it.
const downstreams = createDownstreams(config, { log, observer: metrics });
// Hashing the passwords is slow on purpose, so it is done once, before the gateway listens.
const users = await DemoUsers.create(config.DEMO_PASSWORD);
// One count per user for HTTP and the WebSocket alike, shared with the other replicas through
// Redis when there is one.
const counts: RateLimitCounts = config.REDIS_URL
  ? new SharedCounts({ url: config.REDIS_URL, log, metrics })
  : new LocalCounts();
const limits = createUserLimits(config, counts);
// The web client is a dependency of the gateway, so its build is installed next to it.
const webClientDir = join(
  dirname(createRequire(import.meta.url).resolve('@cheesecake/web/package.json')),
  'dist',
);
const deps = { config, log, downstreams, metrics, users, limits, webClientDir };
const app = createApp(deps);
const liveUpdates = createLiveUpdates(deps);
const tls =
  config.TLS_CERT_FILE && config.TLS_KEY_FILE
    ? { cert: readFileSync(config.TLS_CERT_FILE), key: readFileSync(config.TLS_KEY_FILE) }
    : undefined;
// The gateway holds no database: once in-flight requests finish, only the counts' connection is left.
const server = await runService({
  app,
  port: config.PORT,
  host: config.HOST,
  log,
  tls,
  workers: [counts],
});
server.on('upgrade', liveUpdates.handleUpgrade);
// WebSockets never end by themselves; graceful shutdown closes them before the server.
endOnShutdown(app, () => liveUpdates.close());
