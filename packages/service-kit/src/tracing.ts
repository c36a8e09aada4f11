import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

const tracer = trace.getTracer('@cheesecake/service-kit');

/** A trace context as W3C Trace Context headers carry it, and as an outbox row keeps it. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

/** How {@link inSpan} makes its span. */
export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The context the span continues; the current one by default. */
  parent?: Context;
}

/**
 * Runs `work` in a new span, current for everything it calls. The span ends when `work`
 * settles, and records the error when it throws.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const { parent = context.active(), ...spanOptions } = options;
  return tracer.startActiveSpan(name, spanOptions, parent, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * The current trace context, for work that continues later elsewhere (an outbox message).
 * Outside any trace a new one starts here, at a span named `name`, so that every later attempt
 * at the work joins one trace. Empty when telemetry is off.
 */
export function traceCarrierForLater(name: string): TraceCarrier {
  let active = context.active();
  if (!trace.getSpan(active)) {
    const root = tracer.startSpan(name, { kind: SpanKind.PRODUCER, root: true });
    root.end();
    active = trace.setSpan(active, root);
  }
  const carrier: TraceCarrier = {};
  propagation.inject(active, carrier);
  return carrier;
}

/** The context a {@link TraceCarrier} describes, to continue its trace. */
export function contextFrom(carrier: TraceCarrier): Context {
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** The operation of a SQL statement, as span names of database calls give it (`SELECT`). */
export function sqlOperation(sql: string): string {
  const first = sql.trimStart().split(/\s/, 1)[0] ?? '';
  return first.replace(/;$/, '').toUpperCase();
}

/** Adds what a reader of a trace looks for (an order id, a payment's outcome) to the current span. */
export function annotateSpan(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}
