import { SpanKind } from '@opentelemetry/api';
import type { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace';

/** Where the test workers' telemetry keeps its exporter, shared by every copy of this module. */
export const RECORDED_SPANS = Symbol.for('cheesecake.recorded-spans');

function exporter(): InMemorySpanExporter {
  const found = (globalThis as Record<symbol, InMemorySpanExporter | undefined>)[RECORDED_SPANS];
  if (!found)
    throw new Error('Telemetry is not recording: run the tests with testTelemetryExecArgv');
  return found;
}

/** The spans finished in this test worker since {@link forgetSpans}, oldest first. */
export function recordedSpans(): ReadableSpan[] {
  return exporter().getFinishedSpans();
}

/** Forgets the spans recorded so far, so a test reads only its own. */
export function forgetSpans(): void {
  exporter().reset();
}

/** The span of the latest request served at `path` (its `url.path`) since {@link forgetSpans}. */
export function servedSpan(path: string): ReadableSpan | undefined {
  return recordedSpans()
    .filter((span) => span.kind === SpanKind.SERVER && span.attributes['url.path'] === path)
    .at(-1);
}
