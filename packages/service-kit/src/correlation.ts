import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { REQUEST_ID_PATTERN } from '@cheesecake/contracts';
import { context, propagation } from '@opentelemetry/api';

/**
 * What ties together the work one client request causes in every service: its request id
 * (`X-Request-Id`). Its trace travels beside it, in OpenTelemetry's context (`traceparent`).
 */
export interface Correlation {
  requestId: string;
}

/** A new request id, for work that no request with an id started. */
export function newRequestId(): string {
  return randomUUID();
}

/** The correlation of an incoming request: its `X-Request-Id` when it sent a sensible one, otherwise a new one. */
export function correlationFromHeaders(headers: IncomingHttpHeaders): Correlation {
  const requestId = single(headers['x-request-id']);
  return {
    requestId:
      requestId !== undefined && REQUEST_ID_PATTERN.test(requestId) ? requestId : newRequestId(),
  };
}

const single = (value: string | string[] | undefined) =>
  typeof value === 'string' ? value : undefined;

// Where the correlation of the work in progress lives: a request being handled or an outbox
// message being delivered. AsyncLocalStorage carries it through every await of that work, so
// the calls it makes pass it on without each call site handing it over.
const storage = new AsyncLocalStorage<Correlation>();

/** Runs `work` with `correlation` as the current one, for everything it calls and awaits. */
export function runWithCorrelation<T>(correlation: Correlation, work: () => T): T {
  return storage.run(correlation, work);
}

/** The correlation of the request or delivery being handled, if any. */
export function currentCorrelation(): Correlation | undefined {
  return storage.getStore();
}

/**
 * The headers that carry a correlation on to the next service: the request id, and the current
 * trace context as OpenTelemetry's propagator writes it (`traceparent`, `tracestate`), which
 * the http instrumentation then points at its own client span.
 */
export function correlationHeaders(
  correlation: Correlation | undefined = currentCorrelation(),
): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  if (correlation) headers['x-request-id'] = correlation.requestId;
  return headers;
}

/** The fields every log line about a correlated piece of work carries (pino adds the trace's). */
export function correlationLogFields(correlation: Correlation): { reqId: string } {
  return { reqId: correlation.requestId };
}
