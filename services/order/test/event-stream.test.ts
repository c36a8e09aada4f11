import { type IncomingMessage, request } from 'node:http';
import { defineEndpoint, Problem, problemResponses, problemTypes } from '@cheesecake/contracts';
import { createServiceApp, endLongLivedConnections, ProblemError } from '@cheesecake/service-kit';
import { type RunningServer, silentLogger, startServer } from '@cheesecake/service-kit/testing';
import { Router } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type EventStream, handleEventStream, openEventStream } from '../src/live/event-stream.js';

const Tick = z.object({ n: z.int() });
const streamTicks = defineEndpoint({
  method: 'GET',
  path: '/ticks/:clock',
  summary: 'Ticks of a clock',
  params: z.strictObject({ clock: z.string().regex(/^c\d+$/) }),
  headers: z.object({ 'last-event-id': z.string().regex(/^\d+$/).optional() }),
  eventStream: true,
  responses: { 200: Tick, ...problemResponses(400, 404) },
});

let server: RunningServer | undefined;
afterEach(() => server?.close());

/** Serves `streamTicks`; every stream the handler opens is handed to the test. */
async function serveTicks(options: { keepAliveMs?: number } = {}) {
  const streams: EventStream[] = [];
  const router = Router();
  handleEventStream(router, streamTicks, async ({ params }, { req, res }) => {
    if (params.clock === 'c0') throw new ProblemError(problemTypes.notFound, 'No such clock');
    streams.push(openEventStream(req, res, options));
  });
  const app = createServiceApp({
    log: silentLogger(),
    bodyLimit: '1kb',
    readiness: async () => ({}),
    routes: [router],
  });
  server = await startServer(app);
  return { app, url: server.url, streams };
}

/** An answer read as it arrives: its status and headers, and its body so far. */
interface ReadingAnswer {
  response: IncomingMessage;
  body: () => string;
  /** Resolves once the body so far contains `text`. */
  receive: (text: string) => Promise<void>;
  /** Resolves with the whole body once the server ends the answer. */
  ended: Promise<string>;
  disconnect: () => void;
}

function get(url: string, headers: Record<string, string> = {}): Promise<ReadingAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (response) => {
      let body = '';
      const waiting = new Set<() => void>();
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
        for (const check of waiting) check();
      });
      const ended = new Promise<string>((done) => response.on('end', () => done(body)));
      resolve({
        response,
        body: () => body,
        receive: (text) =>
          new Promise((done) => {
            const check = () => {
              if (!body.includes(text)) return;
              waiting.delete(check);
              done();
            };
            waiting.add(check);
            check();
          }),
        ended,
        disconnect: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('openEventStream', () => {
  it('answers 200 with an uncached, unbuffered event stream and the reconnection delay at once', async () => {
    const { url } = await serveTicks();

    const answer = await get(`${url}/ticks/c1`);
    await answer.receive('\n\n');

    expect(answer.response.statusCode).toBe(200);
    expect(answer.response.headers).toMatchObject({
      'content-type': expect.stringMatching(/^text\/event-stream/),
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    expect(answer.body()).toBe('retry: 2000\n\n');
  });

  it('writes each event as id, event and one line of JSON data, and ends on close', async () => {
    const { url, streams } = await serveTicks();
    const answer = await get(`${url}/ticks/c1`);
    const [stream] = streams;

    stream?.send({ id: '7', event: 'tick', data: { n: 1, note: 'two\nlines' } });
    stream?.send({ data: { n: 2 } });
    stream?.close();

    expect(await answer.ended).toBe(
      'retry: 2000\n\n' +
        'id: 7\nevent: tick\ndata: {"n":1,"note":"two\\nlines"}\n\n' +
        'data: {"n":2}\n\n',
    );
    expect(stream?.closed).toBe(true);
  });

  it('sends a keep-alive comment while nothing happens', async () => {
    const { url } = await serveTicks({ keepAliveMs: 20 });

    const answer = await get(`${url}/ticks/c1`);
    await answer.receive(': keep-alive\n\n');
    answer.disconnect();

    expect(answer.body()).toMatch(/^retry: 2000\n\n(: keep-alive\n\n)+$/);
  });

  it('tells its close listeners when the client goes, and then sends nothing', async () => {
    const { url, streams } = await serveTicks();
    const answer = await get(`${url}/ticks/c1`);
    const [stream] = streams;
    const closed = new Promise<void>((resolve) => stream?.onClose(resolve));

    answer.disconnect();
    await closed;
    stream?.send({ data: { n: 1 } });

    expect(stream?.closed).toBe(true);
  });

  it('is ended by endLongLivedConnections, as on graceful shutdown', async () => {
    const { app, url, streams } = await serveTicks();
    const answer = await get(`${url}/ticks/c1`);
    const closed = new Promise<void>((resolve) => streams[0]?.onClose(resolve));

    endLongLivedConnections(app);

    await closed;
    expect(await answer.ended).toBe('retry: 2000\n\n');
  });
});

describe('handleEventStream', () => {
  it('answers 400 problem+json, before any stream, to a request its record refuses', async () => {
    const { url, streams } = await serveTicks();

    const answer = await get(`${url}/ticks/clock-1`, { 'last-event-id': 'x' });
    const problem = Problem.parse(JSON.parse(await answer.ended));

    expect(answer.response.statusCode).toBe(400);
    expect(answer.response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(problem.errors?.map((error) => error.path)).toEqual([
      'params.clock',
      'headers.last-event-id',
    ]);
    expect(streams).toEqual([]);
  });

  it('answers the problem its handler throws before opening the stream', async () => {
    const { url } = await serveTicks();

    const answer = await get(`${url}/ticks/c0`);
    const problem = Problem.parse(JSON.parse(await answer.ended));

    expect(answer.response.statusCode).toBe(404);
    expect(problem).toMatchObject({ status: 404, detail: 'No such clock' });
  });
});
