import { createLogger, listen, shutdownGracefully } from '@cheesecake/service-kit';
import { createApp } from './app.js';
import { loadGatewayConfig } from './config.js';
import { createDownstreams } from './downstreams.js';

const config = loadGatewayConfig();
const log = createLogger('gateway', config.LOG_LEVEL);
const downstreams = createDownstreams(config);
const app = createApp({ config, log, downstreams });
const server = await listen(app, config.PORT, config.HOST, log);
// The gateway holds no database or workers: once in-flight requests finish there is nothing to stop.
shutdownGracefully({ app, server, log, steps: [] });
