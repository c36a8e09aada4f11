import http from 'node:http';
import { LiveServerMessage, Problem } from '@cheesecake/contracts';
import type { RunningServer } from '@cheesecake/service-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { accessTokenOf, listenWithWebSockets, startSystem, type TestSystem } from './support.js';

let system: TestSystem;
let gateway: RunningServer;
/** The order streams the stub holds open now. */
let openStreams = 0;
/** The answers to `GET /orders` the stub holds back until a test sends them. */
const heldLists: Array<() => void> = [];

async function startWith(env: Record<string, string>) {
  system = await startSystem(
    {
      orderStreams: (router) => {
        // A slow service: each list waits until the test lets it go.
        router.get('/orders', (_req, res) => {
          heldLists.push(() => res.json({ items: [], nextCursor: null }));
        });
        // Streams that stay open until the gateway lets go of them.
        router.get('/orders/:orderId/events', (req, res) => {
          openStreams += 1;
          req.once('close', () => {
            openStreams -= 1;
          });
          res.status(200).set({ 'content-type': 'text/event-stream' });
          res.write(': open\n\n');
        });
      },
    },
    env,
  );
  gateway = await listenWithWebSockets(system);
}

afterEach(() => gateway.close());

/** Opens an order's event stream over SSE: its status, and a way to close it. */
function openStream(token: string, orderId = 'ord_1') {
  return new Promise<{ status: number; body: Promise<string>; close: () => void }>(
    (resolve, reject) => {
      const req = http.get(`${gateway.url}/api/orders/${orderId}/events`, {
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      });
      req.on('error', reject);
      req.on('response', (res) => {
        const body = new Promise<string>((done) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => done(text));
          res.on('error', () => done(text));
        });
        resolve({ status: res.statusCode ?? 0, body, close: () => req.destroy() });
      });
    },
  );
}

/** A WebSocket and the messages it received, with a way to wait for the nth. */
async function connect(token: string) {
  const ws = new WebSocket(`${gateway.url.replace('http', 'ws')}/api/ws?access_token=${token}`);
  const messages: LiveServerMessage[] = [];
  const waiting: Array<() => void> = [];
  ws.on('message', (data) => {
    messages.push(LiveServerMessage.parse(JSON.parse(String(data))));
    for (const wake of waiting.splice(0)) wake();
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const received = async (count: number) => {
    while (messages.length < count) await new Promise<void>((wake) => waiting.push(wake));
    return messages.slice(0, count);
  };
  return { ws, messages, received };
}

/** The answer to the subscription of `orderId`: subscriptions are answered as they open, in any order. */
function answerFor(messages: LiveServerMessage[], orderId: string) {
  return messages.find((message) => 'orderId' in message && message.orderId === orderId);
}

function until(check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = () => (check() ? resolve() : setTimeout(poll, 10));
    poll();
  });
}

describe('event streams per user', () => {
  it('answers 429 to an SSE stream past STREAMS_PER_USER, and takes one again once one closes', async () => {
    await startWith({ STREAMS_PER_USER: '3' });
    const alice = await accessTokenOf(system.gateway, 'alice');
    const held = await Promise.all([openStream(alice), openStream(alice), openStream(alice)]);

    const refused = await openStream(alice);

    expect(held.map((stream) => stream.status)).toEqual([200, 200, 200]);
    expect(refused.status).toBe(429);
    expect(Problem.parse(JSON.parse(await refused.body)).type).toMatch(/:rate-limited$/);
    expect(openStreams).toBe(3);
    held[0]?.close();
    await until(() => openStreams === 2);
    const again = await openStream(alice);
    expect(again.status).toBe(200);
    for (const stream of [...held, again]) stream.close();
  });

  it('counts WebSocket subscriptions and SSE streams together, and never another user’s', async () => {
    await startWith({ STREAMS_PER_USER: '2' });
    const [alice, bob] = await Promise.all([
      accessTokenOf(system.gateway, 'alice'),
      accessTokenOf(system.gateway, 'bob'),
    ]);
    const sse = await openStream(alice);
    const live = await connect(alice);

    live.ws.send(JSON.stringify({ type: 'subscribe', orderId: 'ord_1' }));
    live.ws.send(JSON.stringify({ type: 'subscribe', orderId: 'ord_2' }));
    const answers = await live.received(2);
    const bobs = await openStream(bob);

    expect(sse.status).toBe(200);
    expect(answerFor(answers, 'ord_1')).toEqual({ type: 'subscribed', orderId: 'ord_1' });
    expect(answerFor(answers, 'ord_2')).toMatchObject({
      type: 'error',
      problem: { status: 429, type: expect.stringMatching(/:rate-limited$/) },
    });
    expect(bobs.status).toBe(200);
    live.ws.close();
    sse.close();
    bobs.close();
  });
});

describe('requests in progress per user', () => {
  it('answers 429 past REQUESTS_IN_PROGRESS_PER_USER while the others wait, and serves another user meanwhile', async () => {
    await startWith({ REQUESTS_IN_PROGRESS_PER_USER: '2' });
    const [alice, bob] = await Promise.all([
      accessTokenOf(system.gateway, 'alice'),
      accessTokenOf(system.gateway, 'bob'),
    ]);
    const list = (token: string) =>
      fetch(`${gateway.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } });

    const waiting = [list(alice), list(alice)];
    await until(() => heldLists.length === 2);
    const refused = await list(alice);
    const bobs = list(bob);
    await until(() => heldLists.length === 3);
    for (const answer of heldLists.splice(0)) answer();
    const answered = await Promise.all([...waiting, bobs]);
    const again = list(alice);
    await until(() => heldLists.length === 1);
    for (const answer of heldLists.splice(0)) answer();

    expect(refused.status).toBe(429);
    expect(Problem.parse(await refused.json()).detail).toContain('2 requests in progress');
    expect(answered.map((res) => res.status)).toEqual([200, 200, 200]);
    expect((await again).status).toBe(200);
  });
});

describe('request budgets over WebSocket', () => {
  it('counts each handshake against the user’s budget, and refuses one past it with 429', async () => {
    await startWith({ RATE_LIMIT_PER_MINUTE: '3' });
    const alice = await accessTokenOf(system.gateway, 'alice');

    const accepted = await Promise.all([connect(alice), connect(alice), connect(alice)]);
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${gateway.url.replace('http', 'ws')}/api/ws?access_token=${alice}`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
    });

    expect(accepted).toHaveLength(3);
    expect(refused).toBe(429);
    for (const { ws } of accepted) ws.close();
  });

  it('counts each subscription too, so subscribing to order after order runs out of budget', async () => {
    await startWith({ RATE_LIMIT_PER_MINUTE: '4' });
    const alice = await accessTokenOf(system.gateway, 'alice');
    const live = await connect(alice);

    for (const orderId of ['ord_1', 'ord_2', 'ord_3', 'ord_4']) {
      live.ws.send(JSON.stringify({ type: 'subscribe', orderId }));
    }
    const answers = await live.received(4);

    // The handshake spent one of the four.
    for (const orderId of ['ord_1', 'ord_2', 'ord_3']) {
      expect(answerFor(answers, orderId)).toEqual({ type: 'subscribed', orderId });
    }
    expect(answerFor(answers, 'ord_4')).toMatchObject({
      type: 'error',
      problem: { status: 429, type: expect.stringMatching(/:rate-limited$/) },
    });
    live.ws.close();
  });
});
