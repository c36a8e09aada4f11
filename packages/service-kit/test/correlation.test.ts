import { Writable } from 'node:stream';
import { defineEndpoint } from '@cheesecake/contracts';
import { SpanKind, trace } from '@opentelemetry/api';
import express, { Router } from 'express';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { currentCorrelation } from '../src/correlation.js';
import {
  type Correlation,
  createServiceApp,
  Downstream,
  DownstreamPolicy,
  inSpan,
  type Logger,
  runWithCorrelation,
} from '../src/index.js';
import { traceLogFields } from '../src/logger.js';
import {
  forgetSpans,
  type RunningServer,
  recordedSpans,
  silentLogger,
  startServer,
  TEST_INTERNAL_SECRET,
} from '../src/testing.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

/** A logger that keeps every line it writes, parsed. */
function recordingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { log: pino({ base: { service: 'test' }, mixin: traceLogFields }, sink), lines };
}

function echoApp(log: Logger = silentLogger()) {
  const router = Router();
  // Answers the correlation current in the handler, after the body was read.
  router.post('/echo', async (req, res) => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    req.log.info({ size: JSON.stringify(req.body).length }, 'echoing');
    const span = trace.getActiveSpan()?.spanContext();
    res.json({ correlation: currentCorrelation(), trace: span, body: req.body });
  });
  return createServiceApp({ log, bodyLimit: '1mb', readiness: async () => ({}), routes: [router] });
}

const Echoed = z.object({
  correlation: z.object({ requestId: z.string() }),
  /** The span current in the handler. */
  trace: z.object({ traceId: z.string(), spanId: z.string() }),
  body: z.unknown(),
});

describe('createServiceApp correlation', () => {
  it("makes the request's id and trace current for its handler, after the body is read", async () => {
    const big = { text: 'x'.repeat(200_000) };
    forgetSpans();

    const res = await request(echoApp())
      .post('/echo')
      .set('x-request-id', 'req-42')
      .set('traceparent', `00-${TRACE_ID}-${CLIENT_SPAN}-01`)
      .send(big);

    expect(res.status).toBe(200);
    const { correlation, trace: current, body } = Echoed.parse(res.body);
    expect(body).toEqual(big);
    expect(correlation).toEqual({ requestId: 'req-42' });
    expect(current.traceId).toBe(TRACE_ID);
    const served = recordedSpans().find(
      (span) => span.kind === SpanKind.SERVER && span.spanContext().traceId === TRACE_ID,
    );
    expect(served?.parentSpanContext?.spanId).toBe(CLIENT_SPAN);
    expect(res.headers['x-request-id']).toBe('req-42');
  });

  it('keeps concurrent requests apart', async () => {
    const app = echoApp();

    const answers = await Promise.all(
      ['req-a', 'req-b', 'req-c'].map((id) =>
        request(app).post('/echo').set('x-request-id', id).send({ id }),
      ),
    );

    expect(answers.map((res) => Echoed.parse(res.body).correlation.requestId)).toEqual([
      'req-a',
      'req-b',
      'req-c',
    ]);
  });

  it('replaces a request id it would not want in its logs, and starts a trace', async () => {
    const res = await request(echoApp())
      .post('/echo')
      .set('x-request-id', 'a request id with spaces')
      .send({});

    const { correlation, trace: current } = Echoed.parse(res.body);
    expect(correlation.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(current.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(current.traceId).not.toBe(TRACE_ID);
    expect(res.headers['x-request-id']).toBe(correlation.requestId);
  });

  it('puts the request id, trace id and span id on every log line about the request', async () => {
    const { log, lines } = recordingLogger();

    const res = await request(echoApp(log))
      .post('/echo')
      .set('x-request-id', 'req-logged')
      .set('traceparent', `00-${TRACE_ID}-${CLIENT_SPAN}-01`)
      .send({ hello: 'world' });

    const { spanId } = Echoed.parse(res.body).trace;
    expect(lines.map((line) => line.msg)).toEqual(['echoing', 'request completed']);
    for (const line of lines) {
      expect(line).toMatchObject({ reqId: 'req-logged', trace_id: TRACE_ID, span_id: spanId });
    }
  });
});

describe('Downstream', () => {
  const ping = defineEndpoint({
    method: 'GET',
    path: '/ping',
    summary: 'Ping',
    responses: { 200: z.object({ ok: z.boolean() }) },
  });
  let received: Record<string, string | string[] | undefined>[];
  let server: RunningServer;

  const startPeer = async () => {
    received = [];
    const app = express();
    app.get('/ping', (req, res) => {
      received.push(req.headers);
      res.json({ ok: true });
    });
    server = await startServer(app);
    return new Downstream({
      from: 'gateway',
      to: 'peer',
      baseUrl: server.url,
      secret: TEST_INTERNAL_SECRET,
      policy: new DownstreamPolicy({ service: 'peer', timeoutMs: 1_000 }),
    }).client({ ping });
  };
  afterEach(() => server.close());

  it('sends the current request id and a traceparent in the current trace', async () => {
    const client = await startPeer();
    const correlation: Correlation = { requestId: 'req-7' };

    const { answer, traceId } = await inSpan('work', {}, async (span) => ({
      answer: await runWithCorrelation(correlation, () => client.ping({})),
      traceId: span.spanContext().traceId,
    }));

    expect(answer).toEqual({ status: 200, body: { ok: true } });
    expect(received[0]?.['x-request-id']).toBe('req-7');
    expect(String(received[0]?.traceparent)).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(received[0]?.authorization).toMatch(/^Bearer /);
  });

  it('sends no request id for a call made outside any request, and starts a trace for it', async () => {
    const client = await startPeer();

    await client.ping({});

    expect(received).toHaveLength(1);
    expect(received[0]?.['x-request-id']).toBeUndefined();
    expect(String(received[0]?.traceparent)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});
