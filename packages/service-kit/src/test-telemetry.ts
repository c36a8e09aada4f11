// Loaded by the test workers with --import (see `testTelemetryExecArgv`): telemetry as the
// services run it, with every finished span kept in memory for the tests to read.
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { startTelemetry } from './telemetry.js';
import { RECORDED_SPANS } from './testing/spans.js';

const exporter = new InMemorySpanExporter();
(globalThis as Record<symbol, unknown>)[RECORDED_SPANS] = exporter;
await startTelemetry('test', { spanProcessors: [new SimpleSpanProcessor({ exporter })] });
