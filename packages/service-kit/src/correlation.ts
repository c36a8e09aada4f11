import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { REQUEST_ID_PATTERN } from '@cheesecake/contracts';
import { continueTrace, formatTraceparent, type TraceContext } from './trace-context.js';

/**
 * What ties together the work one client request causes in every service: its request id
 * (`X-Request-Id`) and this hop's place in its W3C trace (`traceparent`, `tracestate`).
 */
export interface Correlation {
  requestId: string;
  trace: TraceContext;
}

/** A new request id, for work that no request with an id started. */
export function newRequestId(): string {
  return randomUUID();
}

/**
 * The correlation of an incoming request: its `X-Request-Id` when it sent a sensible one
 * (otherwise a new one), and its trace continued from `traceparent` (otherwise a new trace).
 */
export function correlationFromHeaders(headers: IncomingHttpHeaders): Correlation {
  const requestId = single(headers['x-request-id']);
  return {
    requestId:
      requestId !== undefined && REQUEST_ID_PATTERN.test(requestId) ? requestId : newRequestId(),
    trace: continueTrace(single(headers.traceparent), single(headers.tracestate)),
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
 * The headers that carry a correlation on to the next service: the request id, and a
 * `traceparent` naming this hop's span as the parent (with the `tracestate` received).
 */
export function correlationHeaders(
  correlation: Correlation | undefined = currentCorrelation(),
): Record<string, string> {
  if (!correlation) return {};
  const headers: Record<string, string> = {
    'x-request-id': correlation.requestId,
    traceparent: formatTraceparent(correlation.trace),
  };
  if (correlation.trace.tracestate) headers.tracestate = correlation.trace.tracestate;
  return headers;
}

/** The fields every log line about a correlated piece of work carries. */
export function correlationLogFields(correlation: Correlation): {
  reqId: string;
  traceId: string;
  spanId: string;
} {
  return {
    reqId: correlation.requestId,
    traceId: correlation.trace.traceId,
    spanId: correlation.trace.spanId,
  };
}
