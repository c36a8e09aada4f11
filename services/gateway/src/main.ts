import { createLogger, endOnShutdown, runService } from '@cheesecake/service-kit';
import { createApp, createLiveUpdates } from './app.js';
import { loadGatewayConfig } from './config.js';
import { createDownstreams } from './downstreams.js';

const config = loadGatewayConfig();
const log = createLogger('gateway', config.LOG_LEVEL);
const downstreams = createDownstreams(config);
const app = createApp({ config, log, downstreams });
const liveUpdates = createLiveUpdates({ config, log, downstreams });
// The gateway holds no database or workers: once in-flight requests finish there is nothing to stop.
const server = await runService({ app, port: config.PORT, host: config.HOST, log });
server.on('upgrade', liveUpdates.handleUpgrade);
// WebSockets never end by themselves; graceful shutdown closes them before the server.
endOnShutdown(app, () => liveUpdates.close());
