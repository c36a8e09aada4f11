import { register } from 'node:module';
import { setGlobalErrorHandler } from '@opentelemetry/core';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { createAddHookMessageChannel } from 'import-in-the-middle';

/** Where a failed export is said: at most once a minute, so an endpoint that is down is not a flood. */
const EXPORT_FAILURE_EVERY_MS = 60_000;

// Probes and scrapes come every few seconds and say nothing about an order.
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** What a test may set instead of the environment's exporter. */
export interface TelemetryOptions {
  /** Where finished spans go; by default the OTLP exporter the `OTEL_*` variables describe. */
  spanProcessors?: SpanProcessor[];
}

/**
 * Starts OpenTelemetry for one service, before its app is imported (`node --import
 * ./dist/instrument.js dist/main.js`), so that http, express and pg are patched when the app loads
 * them (log lines get their trace ids from the logger itself: `traceLogFields`).
 * The standard `OTEL_*` variables configure it; spans are exported only when an
 * OTLP endpoint is set, and are still made without one, so logs carry trace and span ids and
 * calls carry `traceparent`. `OTEL_SDK_DISABLED=true` turns all of it off.
 */
export async function startTelemetry(
  service: string,
  options: TelemetryOptions = {},
): Promise<void> {
  if (process.env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return;

  // ESM imports are patched by the loader hook, and only the modules an instrumentation asks for.
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, registerOptions);

  setGlobalErrorHandler(throttledErrorReport(service));
  const sdk = new NodeSDK({
    // OTEL_SERVICE_NAME, when set, names the service instead.
    ...(!process.env.OTEL_SERVICE_NAME && { serviceName: `cheesecake-${service}` }),
    spanProcessors: options.spanProcessors ?? spanProcessorsFromEnvironment(),
    // Metrics stay with prom-client at /metrics, and logs on stdout.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has(req.url?.split('?')[0] ?? ''),
      }),
      // A span per route handler, not per middleware: a request reads as one step, not ten.
      new ExpressInstrumentation({
        ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER],
      }),
      new PgInstrumentation(),
    ],
  });
  sdk.start();
  await waitForAllMessagesAcknowledged();
  activeSdk = sdk;
}

let activeSdk: NodeSDK | undefined;

/** Exports what is left and stops telemetry; runService calls it once the service has stopped. */
export async function stopTelemetry(): Promise<void> {
  // A trace backend that is down must not hold the shutdown past its grace: what is not
  // exported within a moment is dropped.
  const flushed = activeSdk?.shutdown().catch(() => undefined);
  activeSdk = undefined;
  await Promise.race([flushed, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
}

// Without an endpoint the SDK would export to localhost:4318; here that means "no exporter".
// The per-signal variable and an explicit OTEL_TRACES_EXPORTER (console, none) are honoured.
function spanProcessorsFromEnvironment(): SpanProcessor[] | undefined {
  const { env } = process;
  const configured =
    env.OTEL_EXPORTER_OTLP_ENDPOINT ||
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
    env.OTEL_TRACES_EXPORTER;
  return configured ? undefined : [new NoopSpanProcessor()];
}

function throttledErrorReport(service: string): (error: unknown) => void {
  let lastSaidAt = Number.NEGATIVE_INFINITY;
  return (error) => {
    const now = Date.now();
    if (now - lastSaidAt < EXPORT_FAILURE_EVERY_MS) return;
    lastSaidAt = now;
    // Written like a log line, without importing the logger: this module loads before pino.
    const message = error instanceof Error ? error.message : String(error);
    const line = { level: 40, time: new Date(now).toISOString(), service, msg: 'telemetry failed' };
    process.stdout.write(`${JSON.stringify({ ...line, err: { message } })}\n`);
  };
}
