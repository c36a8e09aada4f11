import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineEndpoint, Problem, problemResponses } from '@cheesecake/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DownstreamPolicy } from '../src/resilience.js';
import { type CallPolicy, type ClientOptions, createClient } from '../src/typed-client.js';
import {
  UnexpectedResponseError,
  Upstream,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../src/upstream.js';
import { sendOnce } from './support.js';

const Widget = z.object({ id: z.string(), size: z.int() });

const widgetApi = {
  getWidget: defineEndpoint({
    method: 'GET',
    path: '/widgets/:widgetId',
    summary: 'One widget',
    params: z.object({ widgetId: z.string() }),
    query: z.object({ fields: z.string().optional() }),
    responses: { 200: Widget, ...problemResponses(404) },
  }),
  createWidget: defineEndpoint({
    method: 'POST',
    path: '/widgets',
    summary: 'A new widget',
    body: z.object({ size: z.int() }),
    responses: { 201: Widget },
  }),
};

interface Seen {
  method?: string;
  url?: string;
  headers?: IncomingMessage['headers'];
  body?: string;
}

let server: Server | undefined;
afterEach(
  () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
);

async function stub(
  answer: (res: ServerResponse, seen: Seen) => void,
): Promise<{ url: string; seen: Seen }> {
  const seen: Seen = {};
  const started = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      Object.assign(seen, { method: req.method, url: req.url, headers: req.headers, body });
      answer(res, seen);
    });
  });
  server = started;
  await new Promise<void>((resolve) => started.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(started.address() as AddressInfo).port}`, seen };
}

const json = (res: ServerResponse, status: number, body: unknown, type = 'application/json') => {
  res.writeHead(status, { 'content-type': type }).end(JSON.stringify(body));
};

function clientOf(baseUrl: string, options: Partial<ClientOptions> = {}) {
  return createClient(widgetApi, {
    upstream: new Upstream('widgets', baseUrl),
    policy: sendOnce,
    ...options,
  });
}

describe('createClient', () => {
  it('fills the path, sends query, headers and request id, and parses a declared answer', async () => {
    const { url, seen } = await stub((res) => json(res, 200, { id: 'w 1', size: 3 }));
    const client = clientOf(url, {
      prepareHeaders: (context) => ({ authorization: `Bearer for-${context.user?.id}` }),
    });

    const response = await client.getWidget(
      { params: { widgetId: 'w 1' }, query: { fields: 'size' } },
      { requestId: 'req-7', user: { id: 'usr_alice', role: 'customer' } },
    );

    expect(response).toEqual({ status: 200, body: { id: 'w 1', size: 3 } });
    expect(seen.url).toBe('/widgets/w%201?fields=size');
    expect(seen.headers?.authorization).toBe('Bearer for-usr_alice');
    expect(seen.headers?.['x-request-id']).toBe('req-7');
  });

  it('tells prepareHeaders the method and the path the call is sent to, base path included', async () => {
    const { url, seen } = await stub((res) => json(res, 201, { id: 'w2', size: 5 }));
    const targets: unknown[] = [];
    const client = clientOf(`${url}/v1/`, {
      prepareHeaders: (_context, target) => {
        targets.push(target);
        return {};
      },
    });

    await client.createWidget({ body: { size: 5 } });

    expect(targets).toEqual([{ method: 'POST', path: '/v1/widgets' }]);
    expect(seen.url).toBe('/v1/widgets');
  });

  it('resolves a declared problem answer instead of throwing', async () => {
    const problem = {
      type: 'urn:cheesecake:problem:not-found',
      title: 'No such resource',
      status: 404,
    };
    const { url } = await stub((res) => json(res, 404, problem, 'application/problem+json'));
    const client = clientOf(url);

    const response = await client.getWidget({ params: { widgetId: 'missing' }, query: {} });

    expect(response.status).toBe(404);
    expect(Problem.parse(response.body)).toEqual(problem);
  });

  it('sends the body as JSON', async () => {
    const { url, seen } = await stub((res) => json(res, 201, { id: 'w2', size: 5 }));
    const client = clientOf(url);

    const response = await client.createWidget({ body: { size: 5 } });

    expect(response).toEqual({ status: 201, body: { id: 'w2', size: 5 } });
    expect(seen.method).toBe('POST');
    expect(JSON.parse(seen.body ?? '')).toEqual({ size: 5 });
    expect(seen.headers?.['content-type']).toMatch(/^application\/json/);
  });

  it('throws UnexpectedResponseError (502) for a status the record does not declare', async () => {
    const { url } = await stub((res) => json(res, 500, { oops: true }));
    const client = clientOf(url);

    const call = client.getWidget({ params: { widgetId: 'w1' }, query: {} });

    await expect(call).rejects.toBeInstanceOf(UnexpectedResponseError);
    await expect(call).rejects.toMatchObject({ status: 502, upstreamStatus: 500 });
  });

  it('throws UnexpectedResponseError (502) for a body that breaks the contract', async () => {
    const { url } = await stub((res) => json(res, 200, { id: 'w1', size: 'large' }));
    const client = clientOf(url);

    await expect(
      client.getWidget({ params: { widgetId: 'w1' }, query: {} }),
    ).rejects.toBeInstanceOf(UnexpectedResponseError);
  });

  it('throws UpstreamTimeoutError (504) when the answer takes longer than the timeout', async () => {
    const { url } = await stub((res) =>
      setTimeout(() => json(res, 200, { id: 'w1', size: 1 }), 300),
    );
    const client = clientOf(url, {
      policy: new DownstreamPolicy({ service: 'widgets', timeoutMs: 50 }).forClient,
    });

    const call = client.getWidget({ params: { widgetId: 'w1' }, query: {} });

    await expect(call).rejects.toBeInstanceOf(UpstreamTimeoutError);
    await expect(call).rejects.toMatchObject({ status: 504 });
  });

  it('throws UpstreamUnavailableError (503) when nothing listens', async () => {
    const { url } = await stub(() => {});
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    const client = clientOf(url);

    const call = client.getWidget({ params: { widgetId: 'w1' }, query: {} });

    await expect(call).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await expect(call).rejects.toMatchObject({ status: 503 });
  });

  it('passes each call through the policy, which sees the call and the raw answer', async () => {
    const { url } = await stub((res) =>
      res.writeHead(503, { 'retry-after': '7' }).end(JSON.stringify({ busy: true })),
    );
    const seen: unknown[] = [];
    const policy: CallPolicy = async (call, send) => {
      const answer = await send(new AbortController().signal);
      seen.push(call, answer);
      return { status: 200, headers: {}, body: { id: 'from-policy', size: 1 } };
    };
    const client = clientOf(url, { policy });

    const response = await client.getWidget(
      { params: { widgetId: 'w1' }, query: {} },
      { requestId: 'req-9' },
    );

    expect(response).toEqual({ status: 200, body: { id: 'from-policy', size: 1 } });
    expect(seen[0]).toMatchObject({
      service: 'widgets',
      method: 'GET',
      path: '/widgets/w1',
      headers: { 'x-request-id': 'req-9' },
    });
    expect(seen[1]).toMatchObject({
      status: 503,
      headers: { 'retry-after': '7' },
      body: { busy: true },
    });
  });

  it('lets the policy send a call again', async () => {
    let calls = 0;
    const { url } = await stub((res) => {
      calls += 1;
      json(res, calls === 1 ? 503 : 201, { id: 'w3', size: 2 });
    });
    const policy: CallPolicy = async (_call, send) => {
      const first = await send(new AbortController().signal);
      return first.status === 503 ? send(new AbortController().signal) : first;
    };
    const client = clientOf(url, { policy });

    const response = await client.createWidget({ body: { size: 2 } });

    expect(response).toEqual({ status: 201, body: { id: 'w3', size: 2 } });
    expect(calls).toBe(2);
  });

  it("rejects an attempt with the reason of the policy's signal once it aborts", async () => {
    const { url } = await stub(() => {});
    const reason = new Error('over budget');
    const policy: CallPolicy = (_call, send) => {
      const controller = new AbortController();
      const attempt = send(controller.signal);
      setTimeout(() => controller.abort(reason), 20);
      return attempt;
    };
    const client = clientOf(url, { policy });

    const call = client.getWidget({ params: { widgetId: 'w1' }, query: {} });

    await expect(call).rejects.toBe(reason);
  });
});
