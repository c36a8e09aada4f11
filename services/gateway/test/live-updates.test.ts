import { LiveServerMessage, problemTypes } from '@cheesecake/contracts';
import { type Caller, ProblemError } from '@cheesecake/service-kit';
import {
  forgetSpans,
  type RunningServer,
  recordedSpans,
  until,
} from '@cheesecake/service-kit/testing';
import type { Response } from 'express';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { accessTokenOf, listenWithWebSockets, startSystem, type TestSystem } from './support.js';

let system: TestSystem;
let gateway: RunningServer;
/** The Last-Event-ID of each stream the order stub opened. */
let opened: Array<string | undefined>;

const statusEvent = (id: number, orderId: string, status: string) =>
  `id: ${id}\nevent: order.status\ndata: ${JSON.stringify({
    type: 'order.status',
    orderId,
    orderNumber: 101,
    status,
    at: '2025-01-02T12:00:00.000Z',
  })}\n\n`;

function startEventStream(res: Response): void {
  res.status(200).set({ 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
  res.flushHeaders();
}

beforeEach(async () => {
  opened = [];
  system = await startSystem({
    // Like the real order service: alice owns ord_1, whose stream drops once after its first
    // event and goes on from Last-Event-ID; every other order is unknown to a customer.
    orderStreams: (router) => {
      router.get('/orders/:orderId/events', (req, res) => {
        const caller = res.locals.caller as Caller;
        if (req.params.orderId !== 'ord_1' || caller.user?.id !== 'usr_alice') {
          throw new ProblemError(problemTypes.orderNotFound, 'No such order');
        }
        const lastEventId = req.headers['last-event-id'] as string | undefined;
        opened.push(lastEventId);
        startEventStream(res);
        if (lastEventId === undefined) {
          res.end(statusEvent(1, 'ord_1', 'PAID'));
        } else {
          res.end(statusEvent(2, 'ord_1', 'PREPARING') + statusEvent(3, 'ord_1', 'READY'));
        }
      });
      router.get('/order-events', (_req, res) => {
        const caller = res.locals.caller as Caller;
        if (caller.user?.role === 'customer') {
          throw new ProblemError(problemTypes.forbidden, 'Kitchen only');
        }
        startEventStream(res);
        res.write(statusEvent(4, 'ord_7', 'PAID') + statusEvent(5, 'ord_8', 'READY'));
      });
    },
  });
  gateway = await listenWithWebSockets(system);
});

afterEach(() => gateway.close());

/** A WebSocket client that collects the server's messages, parsed with the contract. */
async function connect(token: string) {
  const ws = new WebSocket(`${gateway.url.replace('http', 'ws')}/api/ws?access_token=${token}`);
  const messages: LiveServerMessage[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data) => {
    messages.push(LiveServerMessage.parse(JSON.parse(data.toString())));
    for (const wake of waiters.splice(0)) wake();
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return {
    send: (message: unknown) => ws.send(JSON.stringify(message)),
    /** Resolves once `count` messages have arrived in all. */
    async received(count: number): Promise<LiveServerMessage[]> {
      while (messages.length < count) await new Promise<void>((wake) => waiters.push(wake));
      return messages.slice(0, count);
    },
    close: () => ws.close(),
  };
}

/** The HTTP answer to a handshake the gateway refuses. */
function refusedHandshake(url: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
    });
    ws.on('open', () => reject(new Error('the handshake was accepted')));
  });
}

describe('GET /api/ws', () => {
  it('refuses a handshake without a token with a 401 problem', async () => {
    const answer = await refusedHandshake(`${gateway.url.replace('http', 'ws')}/api/ws`);

    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ type: 'urn:cheesecake:problem:unauthenticated' });
  });

  it('refuses a handshake with a forged token with a 401 problem', async () => {
    const forged = `${(await accessTokenOf(system.gateway, 'alice')).slice(0, -4)}AAAA`;

    const answer = await refusedHandshake(
      `${gateway.url.replace('http', 'ws')}/api/ws?access_token=${forged}`,
    );

    expect(answer.status).toBe(401);
  });

  it('answers a plain GET with a token 426', async () => {
    const token = await accessTokenOf(system.gateway, 'alice');

    const res = await request(system.gateway).get('/api/ws').query({ access_token: token });

    expect(res.status).toBe(426);
    expect(res.body).toMatchObject({ type: 'urn:cheesecake:problem:upgrade-required' });
  });

  it("sends an order's statuses to its owner, resuming a dropped stream without repeats", async () => {
    const client = await connect(await accessTokenOf(system.gateway, 'alice'));

    client.send({ type: 'subscribe', orderId: 'ord_1' });
    const messages = await client.received(4);

    expect(messages).toEqual([
      { type: 'subscribed', orderId: 'ord_1' },
      expect.objectContaining({ type: 'order.status', orderId: 'ord_1', status: 'PAID' }),
      expect.objectContaining({ type: 'order.status', orderId: 'ord_1', status: 'PREPARING' }),
      expect.objectContaining({ type: 'order.status', orderId: 'ord_1', status: 'READY' }),
    ]);
    expect(opened).toEqual([undefined, '1']);
    client.close();
  });

  it('records one span per subscription, however many events, with its call to the order service under it', async () => {
    const kitchen = await connect(await accessTokenOf(system.gateway, 'kai'));
    forgetSpans();

    kitchen.send({ type: 'subscribe', orderId: '*' });
    await kitchen.received(3);
    kitchen.send({ type: 'unsubscribe', orderId: '*' });
    await kitchen.received(4);

    const subscriptionSpans = () =>
      recordedSpans().filter((span) => span.name === 'live subscription');
    await until(() => subscriptionSpans().length > 0);
    const [subscription, ...others] = subscriptionSpans();
    expect(others).toEqual([]);
    expect(subscription?.attributes).toMatchObject({
      'cheesecake.order.id': '*',
      'user.id': 'usr_kai',
    });
    const streamCalls = recordedSpans().filter(
      (span) => span.parentSpanContext?.spanId === subscription?.spanContext().spanId,
    );
    expect(streamCalls.map((span) => span.attributes['url.full'])).toEqual([
      expect.stringMatching(/\/order-events$/),
    ]);
    kitchen.close();
  });

  it("answers a subscription to someone else's order with a 404 error, like the order routes", async () => {
    const client = await connect(await accessTokenOf(system.gateway, 'bob'));

    client.send({ type: 'subscribe', orderId: 'ord_1' });
    const [message] = await client.received(1);

    expect(message).toMatchObject({
      type: 'error',
      orderId: 'ord_1',
      problem: { status: 404, type: 'urn:cheesecake:problem:order-not-found' },
    });
    client.close();
  });

  it('lets the kitchen follow every order with "*", and refuses it to a customer', async () => {
    const kitchen = await connect(await accessTokenOf(system.gateway, 'kai'));
    const customer = await connect(await accessTokenOf(system.gateway, 'alice'));

    kitchen.send({ type: 'subscribe', orderId: '*' });
    customer.send({ type: 'subscribe', orderId: '*' });
    const kitchenMessages = await kitchen.received(3);
    const [refusal] = await customer.received(1);

    expect(kitchenMessages).toEqual([
      { type: 'subscribed', orderId: '*' },
      expect.objectContaining({ orderId: 'ord_7', status: 'PAID' }),
      expect.objectContaining({ orderId: 'ord_8', status: 'READY' }),
    ]);
    expect(refusal).toMatchObject({ type: 'error', orderId: '*', problem: { status: 403 } });
    kitchen.close();
    customer.close();
  });

  it('answers a message that breaks the contract with a 400 error and keeps the connection', async () => {
    const client = await connect(await accessTokenOf(system.gateway, 'kai'));

    client.send({ type: 'subscribe', orderId: '../../admin' });
    client.send({ type: 'unsubscribe', orderId: '*' });
    const [error, unsubscribed] = await client.received(2);

    expect(error).toMatchObject({
      type: 'error',
      problem: { status: 400, type: 'urn:cheesecake:problem:validation' },
    });
    expect(unsubscribed).toEqual({ type: 'unsubscribed', orderId: '*' });
    client.close();
  });
});
