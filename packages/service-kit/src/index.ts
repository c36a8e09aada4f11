// What the services use of the kit, module by module (signInternalToken for the e2e and
// bench packages too). Anything a module exports but no service imports stays out of this list.
export { createServiceApp, databaseReadiness } from './app.js';
export { prepareService, ServiceCalls } from './bootstrap.js';
export {
  ConfigError,
  callerEnv,
  DEVELOPMENT_INTERNAL_TOKEN_SECRET,
  intVar,
  loadConfig,
  positiveIntVar,
  secretVar,
  serviceEnvSchema,
  urlVar,
} from './config.js';
export {
  type Correlation,
  correlationFromHeaders,
  correlationHeaders,
  newRequestId,
  runWithCorrelation,
} from './correlation.js';
export {
  type Database,
  lockClause,
  openDatabase,
  type Queryable,
  type ReadOptions,
} from './database.js';
export {
  Downstream,
  type EventStreamListener,
  type EventStreamOpening,
} from './downstream.js';
export { FaultInjection } from './faults.js';
export {
  type Handler,
  type HandlerContext,
  handle,
  handlerContext,
  parseRequest,
} from './handle.js';
export {
  fingerprintOf,
  IdempotencyKeyReusedError,
} from './idempotency.js';
export { newId } from './ids.js';
export {
  type Caller,
  requireInternalCredential,
  requireService,
  requireUser,
  signInternalToken,
} from './internal-auth.js';
export { type BackgroundWorker, runService } from './lifecycle.js';
export { createLogger, type Logger } from './logger.js';
export { endLongLivedConnections, endOnShutdown } from './long-lived.js';
export { type Counter, type Gauge, type Histogram, ServiceMetrics } from './metrics.js';
export { FAULT_MIGRATIONS, OUTBOX_MIGRATIONS, runMigrations } from './migrations.js';
export { enqueue, type OutboxMessage } from './outbox.js';
export {
  type Deliverer,
  deliveryContextOf,
  PermanentDeliveryError,
  payloadOf,
  refusedDelivery,
} from './outbox-deliverers.js';
export { OutboxRelay } from './outbox-relay.js';
export { ProblemError } from './problem-error.js';
export { hasRequestBody, sendProblem, ValidationError } from './problems.js';
export { DownstreamPolicy } from './resilience.js';
export {
  type BreakerState,
  type CallOutcome,
  DEFAULT_RESILIENCE,
  type DownstreamObserver,
} from './resilience-settings.js';
export {
  annotateSpan,
  contextFrom,
  inSpan,
  type TraceCarrier,
  traceCarrierForLater,
} from './tracing.js';
export { nextStatus, type Transition } from './transitions.js';
export type { CallContext, Client } from './typed-client.js';
export {
  UnexpectedResponseError,
  UpstreamUnavailableError,
} from './upstream.js';
