import { Writable } from 'node:stream';
import { defineEndpoint } from '@cheesecake/contracts';
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
  type Logger,
  runWithCorrelation,
} from '../src/index.js';
import {
  type RunningServer,
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
  return { log: pino({ base: { service: 'test' } }, sink), lines };
}

function echoApp(log: Logger = silentLogger()) {
  const router = Router();
  // Answers the correlation current in the handler, after the body was read.
  router.post('/echo', async (req, res) => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    req.log.info({ size: JSON.stringify(req.body).length }, 'echoing');
    res.json({ correlation: currentCorrelation(), body: req.body });
  });
  return createServiceApp({ log, bodyLimit: '1mb', readiness: async () => ({}), routes: [router] });
}

const Echoed = z.object({
  correlation: z.object({
    requestId: z.string(),
    trace: z.object({
      traceId: z.string(),
      spanId: z.string(),
      parentSpanId: z.string().optional(),
      flags: z.string(),
      tracestate: z.string().optional(),
    }),
  }),
  body: z.unknown(),
});

describe('createServiceApp correlation', () => {
  it("makes the request's id and trace current for its handler, after the body is read", async () => {
    const big = { text: 'x'.repeat(200_000) };

    const res = await request(echoApp())
      .post('/echo')
      .set('x-request-id', 'req-42')
      .set('traceparent', `00-${TRACE_ID}-${CLIENT_SPAN}-01`)
      .send(big);

    expect(res.status).toBe(200);
    const { correlation, body } = Echoed.parse(res.body);
    expect(body).toEqual(big);
    expect(correlation).toMatchObject({
      requestId: 'req-42',
      trace: { traceId: TRACE_ID, parentSpanId: CLIENT_SPAN, flags: '01' },
    });
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

    const { correlation } = Echoed.parse(res.body);
    expect(correlation.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(correlation.trace.parentSpanId).toBeUndefined();
    expect(res.headers['x-request-id']).toBe(correlation.requestId);
  });

  it('puts the request id, trace id and span id on every log line about the request', async () => {
    const { log, lines } = recordingLogger();

    const res = await request(echoApp(log))
      .post('/echo')
      .set('x-request-id', 'req-logged')
      .set('traceparent', `00-${TRACE_ID}-${CLIENT_SPAN}-01`)
      .send({ hello: 'world' });

    const { spanId } = Echoed.parse(res.body).correlation.trace;
    expect(lines.map((line) => line.msg)).toEqual(['echoing', 'request completed']);
    for (const line of lines) {
      expect(line).toMatchObject({ reqId: 'req-logged', traceId: TRACE_ID, spanId });
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

  it('sends the current request id and a traceparent with this hop as the parent', async () => {
    const client = await startPeer();
    const correlation: Correlation = {
      requestId: 'req-7',
      trace: { traceId: TRACE_ID, spanId: 'b7ad6b7169203331', flags: '01', tracestate: 'k=v' },
    };

    const answer = await runWithCorrelation(correlation, () => client.ping({}));

    expect(answer).toEqual({ status: 200, body: { ok: true } });
    expect(received[0]).toMatchObject({
      'x-request-id': 'req-7',
      traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01`,
      tracestate: 'k=v',
    });
    expect(received[0]?.authorization).toMatch(/^Bearer /);
  });

  it('sends no correlation for a call made outside any request', async () => {
    const client = await startPeer();

    await client.ping({});

    expect(received).toHaveLength(1);
    expect(received[0]?.traceparent).toBeUndefined();
    expect(received[0]?.['x-request-id']).toBeUndefined();
  });
});
