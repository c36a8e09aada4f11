import type { IncomingMessage } from 'node:http';
import type { HealthStatus } from '@cheesecake/contracts';
import express, { type Express, type RequestHandler, type Router } from 'express';
import { pinoHttp } from 'pino-http';
import {
  type Correlation,
  correlationFromHeaders,
  correlationLogFields,
  runWithCorrelation,
} from './correlation.js';
import type { Database } from './database.js';
import { DeadLetters } from './dead-letters.js';
import type { FaultInjection } from './faults.js';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';
import { opsRoutes } from './ops-routes.js';
import { countOutboxMessages } from './outbox.js';
import { problemErrorHandler, requireJsonBody, routeNotFound } from './problems.js';

/** Names a readiness check and says whether it passes. */
export type ReadinessChecks = () => Promise<Record<string, boolean>>;

/** What {@link createServiceApp} assembles. */
export interface ServiceAppOptions {
  log: Logger;
  /** Largest accepted JSON body, such as `100kb`. */
  bodyLimit: string;
  /**
   * Runs in front of everything but health, before any body is read: the gateway's
   * security headers, CORS, rate limits and cache.
   */
  edge?: RequestHandler;
  /**
   * Routers that pass the request body on unread, such as the gateway's proxy: mounted
   * after the 415 check and before the JSON body parser. They authenticate on their own,
   * since `authenticate` runs after the parser.
   */
  streamingRoutes?: Router[];
  /**
   * Runs in front of every route except health, once the body is parsed; the backend
   * services pass `requireInternalCredential`.
   */
  authenticate?: RequestHandler;
  /** The checks of `/readyz`; the app is also unready once it is draining for shutdown. */
  readiness: ReadinessChecks;
  /** The service's routers, mounted in order. */
  routes: Router[];
  /**
   * The app's Prometheus metrics: every request is timed, and `GET /metrics` answers them,
   * next to health and outside authentication, since only Prometheus inside the network can
   * reach a service's port.
   */
  metrics?: ServiceMetrics | undefined;
  /** Deliberate faults: injected in front of `routes`, and set with `PUT /ops/faults`. */
  faults?: FaultInjection | undefined;
  /**
   * The service's outbox: its backlog at `/ops/outbox`, its dead letters listed and retried
   * through `/ops/dead-letters`, and, with `metrics`, its backlog counted on every scrape.
   */
  outbox?: { db: Database; relay: { wake(): void } } | undefined;
}

/** The readiness check of a service that owns a database: it answers a trivial query. */
export function databaseReadiness(db: Database): ReadinessChecks {
  return async () => ({
    database: await db.ping().then(
      () => true,
      () => false,
    ),
  });
}

/** Paths that are never logged per request: probes and scrapes come every few seconds. */
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** Query parameters that carry a credential, such as the WebSocket handshake's access token. */
const CREDENTIAL_PARAMETERS = ['access_token', 'token'];

/** A logged request without the credentials its URL may carry: never write a token to a log. */
function withoutCredentials<R extends { url?: string; query?: unknown }>(req: R): R {
  const url = req.url && redactCredentials(req.url);
  const query =
    req.query && typeof req.query === 'object'
      ? Object.fromEntries(
          Object.entries(req.query).map(([name, value]) => [
            name,
            CREDENTIAL_PARAMETERS.includes(name) ? '[Redacted]' : value,
          ]),
        )
      : req.query;
  return { ...req, url, query };
}

/** `url` with the value of every credential query parameter replaced by `[Redacted]`. */
export function redactCredentials(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) return url;
  const query = new URLSearchParams(url.slice(start + 1));
  const names = CREDENTIAL_PARAMETERS.filter((name) => query.has(name));
  if (names.length === 0) return url;
  for (const name of names) query.set(name, '[Redacted]');
  return `${url.slice(0, start)}?${query}`;
}

/**
 * The express 5 skeleton every service shares: request timing (with `metrics`),
 * correlation (`X-Request-Id` accepted or created and echoed on every response, the W3C
 * trace continued or started, both current for everything the request calls and on every
 * log line about it), pino-http logs, `/healthz`, `/readyz` and `/metrics`, the edge
 * middleware, 415 for non-JSON bodies, the streaming routes, the JSON body limit,
 * authentication, the ops routes, injected faults, the service's routes, then 404 and
 * problem+json errors. Set `app.locals.draining = true` to fail readiness.
 */
export function createServiceApp(options: ServiceAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.locals.draining = false;
  const { metrics, faults } = options;
  if (metrics) app.use(metrics.timeRequests());

  const correlationOf = correlationPerRequest();
  app.use(requestLogging(options.log, correlationOf));
  app.use((req, _res, next) => runWithCorrelation(correlationOf(req), next));

  mountHealthRoutes(app, options.readiness);
  if (metrics) app.get('/metrics', metrics.exposition());

  if (options.edge) app.use(options.edge);
  app.use(requireJsonBody);
  for (const router of options.streamingRoutes ?? []) app.use(router);
  app.use(express.json({ limit: options.bodyLimit }));
  if (options.authenticate) app.use(options.authenticate);
  // Before the faults, so that faults can always be switched off again.
  if (faults || options.outbox) {
    const { outbox } = options;
    if (outbox && metrics) metrics.observeOutbox(outbox.db, options.log);
    app.use(
      opsRoutes({
        faults,
        deadLetters: outbox && new DeadLetters(outbox),
        outboxBacklog: outbox && (() => countOutboxMessages(outbox.db)),
      }),
    );
  }
  if (faults) app.use(faults.middleware());
  for (const router of options.routes) app.use(router);
  app.use(routeNotFound);
  app.use(problemErrorHandler(options.log));
  return app;
}

/** Each request's correlation, read from its headers the first time it is asked for. */
function correlationPerRequest(): (req: IncomingMessage) => Correlation {
  const correlations = new WeakMap<IncomingMessage, Correlation>();
  return (req) => {
    let correlation = correlations.get(req);
    if (!correlation) {
      correlation = correlationFromHeaders(req.headers);
      correlations.set(req, correlation);
    }
    return correlation;
  };
}

/**
 * One pino-http log line per request (probes and scrapes aside), under the request's id,
 * which it also echoes as `X-Request-Id`, with its trace and any outbox message id.
 */
function requestLogging(log: Logger, correlationOf: (req: IncomingMessage) => Correlation) {
  return pinoHttp({
    logger: log,
    genReqId: (req, res) => {
      const { requestId } = correlationOf(req);
      res.setHeader('x-request-id', requestId);
      return requestId;
    },
    customProps: (req) => ({
      ...correlationLogFields(correlationOf(req)),
      // Set by an outbox relay on each delivery: a redelivered message shows up as a repeat.
      ...(typeof req.headers['x-message-id'] === 'string'
        ? { messageId: req.headers['x-message-id'] }
        : {}),
    }),
    autoLogging: { ignore: (req) => QUIET_PATHS.has(req.url ?? '') },
    serializers: { req: withoutCredentials },
    // `error` only for our own bugs, the 500s: a downstream's failure passed on (502, 503,
    // 504) or a client's mistake (a 4xx, a body it stopped sending) is a warning.
    customLogLevel: (_req, res, error) =>
      res.statusCode === 500 ? 'error' : error || res.statusCode >= 400 ? 'warn' : 'info',
    // A stack only where it helps: our own bugs. Elsewhere pino-http's error says no more than the status.
    customErrorObject: (_req, res, _error, loggable) => {
      if (res.statusCode === 500) return loggable;
      const { err: _err, ...withoutError } = loggable;
      return withoutError;
    },
  });
}

/**
 * `/healthz`, always ok while the process answers, and `/readyz`: 200 while every check of
 * `readiness` passes and the app is not draining, 503 otherwise, each check named.
 */
function mountHealthRoutes(app: Express, readiness: ReadinessChecks): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' } satisfies HealthStatus);
  });
  app.get('/readyz', async (_req, res) => {
    const checks = await readiness().catch(() => ({ readiness: false }));
    const ready = !app.locals.draining && Object.values(checks).every(Boolean);
    const body: HealthStatus = {
      status: ready ? 'ok' : 'unavailable',
      checks: Object.fromEntries(
        Object.entries({ ...checks, accepting: !app.locals.draining }).map(([name, ok]) => [
          name,
          ok ? 'ok' : 'unavailable',
        ]),
      ),
    };
    res.status(ready ? 200 : 503).json(body);
  });
}
