import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { Downstream, DownstreamPolicy } from '../src/index.js';
import { type Caller, verifyInternalToken } from '../src/internal-auth.js';
import { type RunningServer, startServer, TEST_INTERNAL_SECRET } from '../src/testing.js';

interface Received {
  method: string;
  url: string;
  body: string;
  caller: Caller | undefined;
}

let server: RunningServer | undefined;
afterEach(() => server?.close());

/** A widgets service that records each request, the caller its credential names included. */
async function startWidgets(answer: (req: express.Request, res: express.Response) => void) {
  const received: Received[] = [];
  const app = express();
  app.use(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
    const caller = await verifyInternalToken(
      token,
      { secret: TEST_INTERNAL_SECRET, service: 'widgets', callers: ['shop'] },
      { method: req.method, path: req.originalUrl },
    ).catch(() => undefined);
    received.push({ method: req.method, url: req.originalUrl, body, caller });
    answer(req, res);
  });
  server = await startServer(app);
  return { url: server.url, received };
}

function widgetsDownstream(url: string) {
  return new Downstream({
    from: 'shop',
    to: 'widgets',
    baseUrl: url,
    secret: TEST_INTERNAL_SECRET,
    policy: new DownstreamPolicy({ service: 'widgets', timeoutMs: 5_000, retryDelayMs: 1 }),
  });
}

async function textOf(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk;
  return text;
}

const alice = { id: 'usr_alice', role: 'customer' as const };

describe('Downstream', () => {
  it('refuses a policy made for another service', () => {
    const policy = new DownstreamPolicy({ service: 'gadgets', timeoutMs: 1_000 });

    const make = () =>
      new Downstream({ from: 'shop', to: 'widgets', baseUrl: 'http://x', secret: 's', policy });

    expect(make).toThrow(/gadgets/);
  });
});

describe('Downstream.send', () => {
  it('streams the body through with a credential for the user, and resolves to the answer', async () => {
    const widgets = await startWidgets((_req, res) => res.status(201).json({ id: 'w1' }));

    const answer = await widgetsDownstream(widgets.url).send({
      method: 'POST',
      path: '/widgets?size=3',
      headers: { 'content-type': 'application/json' },
      user: alice,
      body: (request) => pipeline(Readable.from(['{"size":', '3}']), request),
    });

    expect(answer.statusCode).toBe(201);
    expect(JSON.parse(await textOf(answer))).toEqual({ id: 'w1' });
    expect(widgets.received).toEqual([
      {
        method: 'POST',
        url: '/widgets?size=3',
        body: '{"size":3}',
        caller: { service: 'shop', user: alice },
      },
    ]);
  });

  it('sends a call with a body once, even when it is answered 503', async () => {
    const widgets = await startWidgets((_req, res) => res.status(503).end());

    const answer = await widgetsDownstream(widgets.url).send({
      method: 'PUT',
      path: '/widgets/w1',
      headers: {},
      body: (request) => pipeline(Readable.from(['{}']), request),
    });
    answer.resume();

    expect(answer.statusCode).toBe(503);
    expect(widgets.received).toHaveLength(1);
  });

  it('sends an idempotent call without a body again when it is answered 503', async () => {
    const widgets = await startWidgets((_req, res) =>
      widgets.received.length === 1 ? res.status(503).end() : res.json({ id: 'w1' }),
    );

    const answer = await widgetsDownstream(widgets.url).send({
      method: 'GET',
      path: '/widgets/w1',
      headers: {},
    });
    answer.resume();

    expect(answer.statusCode).toBe(200);
    expect(widgets.received).toHaveLength(2);
  });

  it('fails with the reason the body could not be sent', async () => {
    const widgets = await startWidgets((_req, res) => res.end());
    const tooLarge = new Error('over the limit');

    const call = widgetsDownstream(widgets.url).send({
      method: 'POST',
      path: '/widgets',
      headers: { 'transfer-encoding': 'chunked' },
      body: async () => {
        throw tooLarge;
      },
    });

    await expect(call).rejects.toBe(tooLarge);
  });
});

describe('Downstream.openEventStream', () => {
  it('hands over each event, then tells when the stream ends', async () => {
    const widgets = await startWidgets((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('id: 1\nevent: size\ndata: 3\n\nid: 2\nevent: size\ndata: 4\n\n');
    });
    const seen: string[] = [];
    let ended!: () => void;
    const streamEnded = new Promise<void>((resolve) => {
      ended = resolve;
    });

    const opening = await widgetsDownstream(widgets.url).openEventStream(
      { path: '/widgets/w1/sizes', headers: { 'last-event-id': '0' }, user: alice },
      {
        opened: () => seen.push('opened'),
        event: (message) => seen.push(`${message.id} ${message.event} ${message.data}`),
        ended,
      },
    );
    await streamEnded;

    expect(opening.opened).toBe(true);
    expect(seen).toEqual(['opened', '1 size 3', '2 size 4']);
    expect(widgets.received[0]?.caller).toEqual({ service: 'shop', user: alice });
  });

  it('resolves a refusal with its status and problem, and opens nothing', async () => {
    const problem = { type: 'urn:cheesecake:problem:not-found', title: 'No such', status: 404 };
    const widgets = await startWidgets((_req, res) =>
      res.status(404).type('application/problem+json').send(JSON.stringify(problem)),
    );
    const seen: string[] = [];

    const opening = await widgetsDownstream(widgets.url).openEventStream(
      { path: '/widgets/missing/sizes', headers: {} },
      {
        opened: () => seen.push('opened'),
        event: () => seen.push('event'),
        ended: () => seen.push('ended'),
      },
    );

    expect(opening).toEqual({ opened: false, status: 404, problem });
    expect(seen).toEqual([]);
  });
});
