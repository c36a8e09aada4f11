import http from 'node:http';
import { Order, OrderStatusEvent, TicketList } from '@cheesecake/contracts';
import {
  expectProblem,
  failingUrl,
  type RunningServer,
  startServer,
} from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { anOrder, signIn, startSystem, type TestSystem } from './support.js';

let system: TestSystem;
let releaseFinalEvent: () => void;
let upstreamStreamClosed: Promise<void>;

const EVENT = (id: number, status: string) =>
  `id: ${id}\nevent: order.status\ndata: ${JSON.stringify({
    type: 'order.status',
    orderId: 'ord_1',
    orderNumber: 101,
    status,
    at: '2025-01-02T12:00:00.000Z',
  })}\n\n`;

async function startWith(env: Record<string, string> = {}): Promise<TestSystem> {
  return startSystem(
    {
      order: {
        createOrder: async ({ body }, { caller }) => {
          const order = anOrder({ customerId: caller.user?.id, notes: body.notes ?? null });
          return { status: 201, body: order, headers: { location: `/orders/${order.id}` } };
        },
      },
      kitchen: {
        listTickets: async () => ({ status: 200, body: { items: [] } }),
      },
      // Writes one event at once and the last only when the test says so.
      orderStreams: (router) => {
        // Promises more of an order than it sends, then hangs up.
        router.get('/orders/ord_broken/timeline', (_req, res) => {
          res.status(200).set({ 'content-type': 'application/json', 'content-length': '1000' });
          res.write('{"id":"ord_broken",');
          setTimeout(() => res.socket?.destroy(), 50);
        });
        router.get('/orders/:orderId/events', (req, res) => {
          upstreamStreamClosed = new Promise((resolve) => res.once('close', resolve));
          res.status(200).set({ 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
          res.flushHeaders();
          const after = Number(req.headers['last-event-id'] ?? 0);
          res.write(EVENT(after + 1, 'PAID'));
          releaseFinalEvent = () => res.end(EVENT(after + 2, 'READY'));
        });
      },
    },
    env,
  );
}

afterEach(() => system.close());

describe('proxied routes', () => {
  beforeEach(async () => {
    system = await startWith({ BODY_LIMIT: '1kb' });
  });

  it('passes the body on byte for byte and answers with the public Location', async () => {
    const alice = await signIn(system.gateway, 'alice');
    const body =
      '{ "items": [ { "menuItemId": "new-york-cheesecake", "quantity": 1 } ],  "notes": "é" }';

    const res = await request(system.gateway)
      .post('/api/orders')
      .set('authorization', alice)
      .set('content-type', 'application/json')
      .send(body);

    expect(res.status).toBe(201);
    expect(Order.parse(res.body).notes).toBe('é');
    expect(res.headers.location).toBe('/api/orders/ord_1');
    const [call] = system.order.calls;
    expect(call?.headers['content-length']).toBe(String(Buffer.byteLength(body)));
  });

  it('answers without a process warning, such as a listener leak on the response', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    onTestFinished(() => {
      process.off('warning', onWarning);
    });
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .post('/api/orders')
      .set('authorization', alice)
      .send({ items: [{ menuItemId: 'new-york-cheesecake', quantity: 1 }] });
    await new Promise((resolve) => setImmediate(resolve));

    expect(res.status).toBe(201);
    expect(warnings).toEqual([]);
  });

  it("never passes on the client's own identity headers, only the gateway's credential", async () => {
    const alice = await signIn(system.gateway, 'alice');

    await request(system.gateway)
      .post('/api/orders')
      .set('authorization', alice)
      .set('x-user-id', 'usr_bob')
      .set('x-forwarded-user', 'usr_bob')
      .set('cookie', 'session=bob')
      .send({ items: [{ menuItemId: 'new-york-cheesecake', quantity: 1 }] });

    const [call] = system.order.calls;
    expect(call?.caller).toEqual({
      service: 'gateway',
      user: { id: 'usr_alice', role: 'customer' },
    });
    expect(call?.headers).not.toHaveProperty('x-user-id');
    expect(call?.headers).not.toHaveProperty('x-forwarded-user');
    expect(call?.headers).not.toHaveProperty('cookie');
  });

  it('returns 413 without calling the service when the declared length is over the limit', async () => {
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .post('/api/orders')
      .set('authorization', alice)
      .send({
        items: [{ menuItemId: 'new-york-cheesecake', quantity: 1 }],
        notes: 'x'.repeat(2_000),
      });

    expectProblem(res, 413, 'payload-too-large');
    expect(system.order.calls).toEqual([]);
  });

  it('returns 413 without the service accepting anything when a chunked body outgrows the limit', async () => {
    const alice = await signIn(system.gateway, 'alice');
    const gateway = await startServer(system.gateway);

    const answer = await postChunked(`${gateway.url}/api/orders`, alice, [
      '{"items":[{"menuItemId":"new-york-cheesecake","quantity":1}],"notes":"',
      'x'.repeat(1_500),
      '"}',
    ]);
    await gateway.close();

    expect(answer.status).toBe(413);
    expect(system.order.calls).toEqual([]);
  });

  it('returns 400 without calling the service for a query parameter the public API does not have', async () => {
    const kai = await signIn(system.gateway, 'kai');

    const res = await request(system.gateway)
      .get('/api/kitchen/tickets')
      .query({ orderId: 'ord_1' })
      .set('authorization', kai);

    const problem = expectProblem(res, 400, 'validation');
    expect(problem.errors?.map((issue) => issue.path)).toEqual(['query']);
    expect(system.kitchen.calls).toEqual([]);
  });

  it('passes the query on as sent', async () => {
    const kai = await signIn(system.gateway, 'kai');

    const res = await request(system.gateway)
      .get('/api/kitchen/tickets?status=QUEUED')
      .set('authorization', kai);

    expect(TicketList.parse(res.body)).toEqual({ items: [] });
    expect(system.kitchen.calls[0]?.request).toEqual({ query: { status: 'QUEUED' } });
  });
});

describe('proxied routes when a service fails', () => {
  it('breaks the answer off when the service hangs up halfway, so it never looks complete', async () => {
    system = await startWith();
    const gateway = await startServer(system.gateway);
    onTestFinished(() => gateway.close());
    const alice = await signIn(system.gateway, 'alice');

    const outcome = await new Promise<{ status?: number; received: string; error?: string }>(
      (resolve) => {
        http.get(
          `${gateway.url}/api/orders/ord_broken/timeline`,
          { headers: { authorization: alice } },
          (res) => {
            let received = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              received += chunk;
            });
            res.on('error', (error) =>
              resolve({ status: res.statusCode, received, error: error.message }),
            );
            res.on('end', () => resolve({ status: res.statusCode, received }));
          },
        );
      },
    );

    expect(outcome.status).toBe(200);
    expect(outcome.received).toBe('{"id":"ord_broken",');
    expect(outcome.error).toBe('aborted');
  });

  it("returns 502 when the service refuses the gateway's credential", async () => {
    system = await startWith({ INTERNAL_TOKEN_SECRET: 'another-secret-the-services-do-not-share' });
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .post('/api/orders')
      .set('authorization', alice)
      .send({ items: [{ menuItemId: 'new-york-cheesecake', quantity: 1 }] });

    expectProblem(res, 502, 'bad-gateway');
  });

  it('returns 503 when the service is unreachable', async () => {
    system = await startWith({ ORDER_SERVICE_URL: 'http://127.0.0.1:1' });
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .post('/api/orders')
      .set('authorization', alice)
      .send({ items: [{ menuItemId: 'new-york-cheesecake', quantity: 1 }] });

    expectProblem(res, 503, 'service-unavailable');
  });

  it('returns 504 when the service does not start answering within DOWNSTREAM_TIMEOUT_MS', async () => {
    const silent = await failingUrl('timeout', 'order');
    onTestFinished(() => silent.close());
    system = await startWith({ DOWNSTREAM_TIMEOUT_MS: '100', ORDER_SERVICE_URL: silent.url });
    const alice = await signIn(system.gateway, 'alice');

    const res = await request(system.gateway)
      .post('/api/orders')
      .set('authorization', alice)
      .send({ items: [{ menuItemId: 'new-york-cheesecake', quantity: 1 }] });

    expectProblem(res, 504, 'gateway-timeout');
  });
});

describe('GET /api/orders/{id}/events', () => {
  let gateway: RunningServer;

  beforeEach(async () => {
    system = await startWith();
    gateway = await startServer(system.gateway);
  });
  afterEach(() => gateway.close());

  it('streams each event through as the service writes it, Last-Event-ID passed on', async () => {
    const alice = await signIn(system.gateway, 'alice');

    const stream = await openStream(`${gateway.url}/api/orders/ord_1/events`, {
      authorization: alice,
      'last-event-id': '7',
    });
    const first = await stream.nextEvent();
    releaseFinalEvent();
    const last = await stream.nextEvent();

    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(stream.headers['cache-control']).toBe('no-store');
    expect(first).toMatchObject({ id: '8', event: { status: 'PAID' } });
    expect(last).toMatchObject({ id: '9', event: { status: 'READY' } });
  });

  it("ends the service's stream when the client goes away", async () => {
    const alice = await signIn(system.gateway, 'alice');
    const stream = await openStream(`${gateway.url}/api/orders/ord_1/events`, {
      authorization: alice,
    });
    await stream.nextEvent();

    stream.close();

    await expect(upstreamStreamClosed).resolves.toBeUndefined();
  });
});

/** Posts a body in chunks without a Content-Length, as a streaming client does. */
function postChunked(
  url: string,
  authorization: string,
  chunks: string[],
): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

/** A server-sent event stream read event by event. */
async function openStream(url: string, headers: Record<string, string>) {
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http
      .get(url, { headers: { accept: 'text/event-stream', ...headers } }, resolve)
      .on('error', reject);
  });
  response.setEncoding('utf8');
  let buffered = '';
  const chunks = response[Symbol.asyncIterator]();
  return {
    close: () => response.destroy(),
    status: response.statusCode,
    headers: response.headers,
    async nextEvent(): Promise<{ id: string | undefined; event: OrderStatusEvent }> {
      while (!buffered.includes('\n\n')) {
        const chunk = await chunks.next();
        if (chunk.done) throw new Error('the stream ended');
        buffered += chunk.value;
      }
      const end = buffered.indexOf('\n\n');
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const field = (name: string) =>
        block
          .split('\n')
          .find((line) => line.startsWith(`${name}: `))
          ?.slice(name.length + 2);
      return { id: field('id'), event: OrderStatusEvent.parse(JSON.parse(field('data') ?? '')) };
    },
  };
}
