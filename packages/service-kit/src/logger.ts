import { isSpanContextValid, trace } from '@opentelemetry/api';
import { type Logger, pino } from 'pino';

/** The logger every service writes with: pino's, as {@link createLogger} makes it. */
export type { Logger } from 'pino';

/** A structured JSON logger for one service; every line carries `service`. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: ['req.headers.authorization', 'req.headers.cookie'],
    mixin: traceLogFields,
  });
}

/**
 * The trace and span a log line was written in, under the names of OpenTelemetry's log data
 * model, so that a trace id found in a viewer finds its log lines and the reverse.
 */
export function traceLogFields(): Record<string, string> {
  const span = trace.getActiveSpan()?.spanContext();
  if (!span || !isSpanContextValid(span)) return {};
  return {
    trace_id: span.traceId,
    span_id: span.spanId,
    trace_flags: `0${span.traceFlags.toString(16)}`,
  };
}
