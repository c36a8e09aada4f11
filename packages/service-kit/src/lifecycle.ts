import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Express } from 'express';
import type { Logger } from './logger.js';
import { endLongLivedConnections } from './long-lived.js';

/**
 * How the server listens: how long a client may take to send a request, so stalled clients
 * cannot hold connections, and HTTPS when given a certificate.
 */
export interface ServerOptions {
  /**
   * Time to receive the request line and headers; default 10 s, and no more than the
   * request timeout. Answered 408 past it.
   */
  headersTimeoutMs?: number;
  /** Time to receive the whole request, body included; default 30 s. Answered 408 past it. */
  requestTimeoutMs?: number;
  /** A certificate chain and its private key (PEM): then the server speaks HTTPS only. */
  tls?: { cert: Buffer; key: Buffer } | undefined;
}

const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Starts listening and resolves once the port is bound. The timeouts bound how long
 * receiving a request may take, not how long answering it may: a long response such as
 * an event stream is not cut.
 */
export function listen(
  app: Express,
  port: number,
  host: string,
  log: Logger,
  options: ServerOptions = {},
): Promise<Server> {
  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const serverOptions = {
    headersTimeout,
    requestTimeout,
    // Node checks the timeouts on this interval, 30 s by default, which would let a
    // stalled client stay well past a 10 s limit.
    connectionsCheckingInterval: Math.min(1_000, headersTimeout / 2),
  };
  const { tls } = options;
  return new Promise((resolve, reject) => {
    const server: Server = tls
      ? createTlsServer({ ...serverOptions, cert: tls.cert, key: tls.key }, app)
      : createServer(serverOptions, app);
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const protocol = tls ? 'https' : 'http';
      log.info({ port, host, protocol, headersTimeout, requestTimeout }, 'listening');
      resolve(server);
    });
  });
}

/** What graceful shutdown needs: the server, the app (to fail readiness) and the steps after it. */
export interface ShutdownOptions {
  app: Express;
  server: Server;
  log: Logger;
  /** Run in order once in-flight requests have finished: stop workers, then close the database. */
  steps: Array<() => Promise<void>>;
  /** Exit with code 1 if shutdown takes longer than this; default 10 s. */
  graceMs?: number;
}

/**
 * Stops serving: fails readiness, ends the long-lived connections (event streams,
 * WebSockets) registered with {@link endOnShutdown}, stops accepting connections, lets
 * in-flight requests finish, then runs the shutdown steps in order.
 */
export async function shutDown(options: Omit<ShutdownOptions, 'graceMs'>): Promise<void> {
  options.app.locals.draining = true;
  // server.close() waits for every open connection, and these never finish on their own.
  endLongLivedConnections(options.app);
  await new Promise<void>((resolve) => {
    options.server.close(() => resolve());
    options.server.closeIdleConnections();
  });
  for (const step of options.steps) await step();
}

/**
 * On SIGTERM or SIGINT: {@link shutDown}, then exit 0; exit 1 past the grace period.
 */
function shutdownGracefully(options: ShutdownOptions): void {
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    options.log.info({ signal }, 'shutting down');
    setTimeout(() => {
      options.log.error('shutdown took too long; exiting');
      process.exit(1);
    }, options.graceMs ?? 10_000).unref();

    await shutDown(options);
    // Loaded only now: a service started without telemetry never imports the SDK.
    const { stopTelemetry } = await import('./telemetry.js');
    await stopTelemetry();
    options.log.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** Something that runs in the background next to the HTTP server, such as an outbox relay. */
export interface BackgroundWorker {
  start(): void;
  /** Resolves once the work in progress has finished. */
  stop(): Promise<void>;
}

/** What {@link runService} runs. */
export interface RunServiceOptions extends ServerOptions {
  app: Express;
  port: number;
  host: string;
  log: Logger;
  /** Started once the server listens; stopped in reverse order on shutdown. */
  workers?: BackgroundWorker[];
  /** Closed last on shutdown. */
  db?: { close(): Promise<void> };
}

/**
 * Listens, starts the background workers, and shuts all of it down gracefully on
 * SIGTERM or SIGINT: in-flight requests first, then the workers, then the database.
 */
export async function runService(options: RunServiceOptions): Promise<Server> {
  const workers = options.workers ?? [];
  const server = await listen(options.app, options.port, options.host, options.log, options);
  for (const worker of workers) worker.start();
  shutdownGracefully({
    app: options.app,
    server,
    log: options.log,
    steps: [
      ...[...workers].reverse().map((worker) => () => worker.stop()),
      async () => options.db?.close(),
    ],
  });
  return server;
}
