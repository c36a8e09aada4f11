import { createLogger, runService } from '@cheesecake/service-kit';
import { createApp } from './app.js';
import { loadGatewayConfig } from './config.js';
import { createDownstreams } from './downstreams.js';

const config = loadGatewayConfig();
const log = createLogger('gateway', config.LOG_LEVEL);
const downstreams = createDownstreams(config);
const app = createApp({ config, log, downstreams });
// The gateway holds no database or workers: once in-flight requests finish there is nothing to stop.
await runService({ app, port: config.PORT, host: config.HOST, log });
