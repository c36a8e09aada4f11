import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiProblem, createApiClient } from '../src/api/client.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

// A stand-in gateway on port 0: each test says how it answers.
let server: Server;
let baseUrl: string;
let answer: Handler;
const received: {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: string;
}[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      answer(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const json =
  (status: number, body: unknown, type = 'application/json'): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': type }).end(JSON.stringify(body));
  };

const order = {
  id: 'ord_1',
  number: 7,
  customerId: 'usr_alice',
  status: 'PENDING_PAYMENT',
  items: [
    {
      menuItemId: 'tiramisu',
      name: 'Tiramisu',
      quantity: 1,
      unitPriceCents: 590,
      lineTotalCents: 590,
    },
  ],
  totalCents: 590,
  currency: 'USD',
  notes: null,
  paymentId: null,
  ticketId: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

function client(token: string | null = 'a.b.c') {
  const refused: ApiProblem[] = [];
  const api = createApiClient({
    baseUrl,
    accessToken: () => token,
    onUnauthenticated: (p) => refused.push(p),
  });
  return { api, refused };
}

describe('ApiClient.call', () => {
  it('sends the route of the record with the token, the headers and the JSON body, and returns the parsed answer', async () => {
    answer = json(201, order);
    received.length = 0;
    const { api } = client();

    const created = await api.call('createOrder', {
      headers: { 'idempotency-key': 'key-1' },
      body: { items: [{ menuItemId: 'tiramisu', quantity: 1 }] },
    });

    expect(created).toEqual(order);
    expect(received[0]).toMatchObject({ method: 'POST', url: '/api/orders' });
    expect(received[0]?.headers).toMatchObject({
      authorization: 'Bearer a.b.c',
      'idempotency-key': 'key-1',
      'content-type': 'application/json',
    });
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({
      items: [{ menuItemId: 'tiramisu', quantity: 1 }],
    });
  });

  it('fills path parameters and the query', async () => {
    answer = json(200, { items: [], nextCursor: null });
    received.length = 0;
    const { api } = client();

    await api.call('listOrders', { query: { limit: 5, status: 'READY' } });
    answer = json(200, { orderId: 'ord_a/b', orderNumber: 1, steps: [] });
    await api.call('getTimeline', { params: { orderId: 'ord_a/b' } }).catch(() => undefined);

    expect(received.map((request) => request.url)).toEqual([
      '/api/orders?limit=5&status=READY',
      '/api/orders/ord_a%2Fb/timeline',
    ]);
  });

  it('throws the problem the API answered, with its title and detail', async () => {
    answer = json(
      402,
      {
        type: 'urn:cheesecake:problem:payment-declined',
        title: 'The payment was declined',
        status: 402,
        detail: 'card_declined',
      },
      'application/problem+json',
    );
    const { api } = client();

    const failure = await api
      .call('payOrder', {
        params: { orderId: 'ord_1' },
        headers: {},
        body: { paymentMethod: 'tok_chargeDeclined' },
      })
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ApiProblem);
    expect((failure as ApiProblem).status).toBe(402);
    expect((failure as ApiProblem).is('payment-declined')).toBe(true);
    expect((failure as ApiProblem).message).toBe('The payment was declined: card_declined');
  });

  it('tells of a 401 to a request that carried a token, so the page can ask the user to sign in again', async () => {
    answer = json(
      401,
      {
        type: 'urn:cheesecake:problem:unauthenticated',
        title: 'Authentication required',
        status: 401,
      },
      'application/problem+json',
    );
    const { api, refused } = client();

    await expect(api.call('listOrders', { query: {} })).rejects.toBeInstanceOf(ApiProblem);

    expect(refused.map((problem) => problem.status)).toEqual([401]);
  });

  it('refuses an answer that does not match the contract instead of handing it on', async () => {
    answer = json(200, { items: [{ id: 'tiramisu', name: 'Tiramisu' }] });
    const { api } = client(null);

    const failure = await api.call('getMenu', {}).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ApiProblem);
    expect((failure as ApiProblem).problem.title).toBe(
      'The answer does not match the API contract',
    );
  });

  it('turns an answer that is not a problem, such as a proxy error page, into one naming the status', async () => {
    answer = (_req, res) =>
      res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>');
    const { api } = client(null);

    const failure = await api.call('getMenu', {}).catch((error: unknown) => error);

    expect((failure as ApiProblem).status).toBe(502);
    expect((failure as ApiProblem).problem.title).toBe('The gateway answered 502 Bad Gateway');
  });
});
