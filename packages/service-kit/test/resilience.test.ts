import { defineEndpoint, FAILED_SERVICE_HEADER, IdempotencyHeaders } from '@cheesecake/contracts';
import express, { type Response } from 'express';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  type BreakerState,
  Downstream,
  DownstreamPolicy,
  UpstreamUnavailableError,
} from '../src/index.js';
import { problemErrorHandler } from '../src/problems.js';
import type { ResilienceOptions } from '../src/resilience-settings.js';
import {
  expectProblem,
  freePort,
  type RunningServer,
  silentLogger,
  startServer,
  TEST_INTERNAL_SECRET,
  until,
} from '../src/testing.js';
import { UpstreamTimeoutError } from '../src/upstream.js';

const Widget = z.object({ id: z.string() });
const widgetApi = {
  getWidget: defineEndpoint({
    method: 'GET',
    path: '/widgets/:widgetId',
    summary: 'One widget',
    params: z.object({ widgetId: z.string() }),
    responses: { 200: Widget },
  }),
  createWidget: defineEndpoint({
    method: 'POST',
    path: '/widgets',
    summary: 'A new widget',
    headers: IdempotencyHeaders,
    body: z.object({ name: z.string() }),
    responses: { 201: Widget },
  }),
};

/** How the stub answers its n-th call (0-based); the last one keeps answering. */
type Answer = (res: Response) => void;

const ok = (status: number) => (res: Response) => res.status(status).json({ id: 'w1' });
const failing =
  (status: number, headers: Record<string, string> = {}) =>
  (res: Response) =>
    res.status(status).set(headers).json({ oops: true });

let stub: RunningServer | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await stub?.close();
  stub = undefined;
});

/** A downstream that answers its calls in turn with `answers`, counting them. */
async function startWidgets(...answers: Answer[]): Promise<{ url: string; calls: () => number }> {
  let calls = 0;
  const app = express();
  app.all('/widgets{/:widgetId}', (_req, res) => {
    const answer = answers[Math.min(calls, answers.length - 1)];
    calls += 1;
    answer?.(res);
  });
  stub = await startServer(app);
  return { url: stub.url, calls: () => calls };
}

/** A client of the stub with its own policies from `resilience`, or the `policy` given. */
function widgetsClient(
  url: string,
  resilience: Partial<ResilienceOptions> = {},
  policy = new DownstreamPolicy({
    service: 'widgets',
    timeoutMs: 5_000,
    retryDelayMs: 1,
    ...resilience,
  }),
) {
  return new Downstream({
    from: 'test',
    to: 'widgets',
    baseUrl: url,
    secret: TEST_INTERNAL_SECRET,
    policy,
  }).client(widgetApi);
}

const getWidget = (client: ReturnType<typeof widgetsClient>) =>
  client.getWidget({ params: { widgetId: 'w1' } });

describe('retries', () => {
  it('retries a GET answered 503 and resolves to the answer that follows', async () => {
    const widgets = await startWidgets(failing(503), ok(200));
    const client = widgetsClient(widgets.url);

    const answer = await getWidget(client);

    expect(answer).toEqual({ status: 200, body: { id: 'w1' } });
    expect(widgets.calls()).toBe(2);
  });

  it('retries a GET whose downstream cannot be reached, then gives up with 503', async () => {
    const widgets = await startWidgets(ok(200));
    await stub?.close();
    stub = undefined;
    const client = widgetsClient(widgets.url, { retries: 2 });

    const call = getWidget(client);

    await expect(call).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await expect(call).rejects.toMatchObject({ status: 503 });
  });

  it('never retries a POST without an idempotency key', async () => {
    const widgets = await startWidgets(failing(503), ok(201));
    const client = widgetsClient(widgets.url);

    const call = client.createWidget({ headers: {}, body: { name: 'gear' } });

    await expect(call).rejects.toMatchObject({ status: 502, upstreamStatus: 503 });
    expect(widgets.calls()).toBe(1);
  });

  it('retries a POST that carries an idempotency key', async () => {
    const widgets = await startWidgets(failing(502), ok(201));
    const client = widgetsClient(widgets.url);

    const answer = await client.createWidget({
      headers: { 'idempotency-key': 'key-1' },
      body: { name: 'gear' },
    });

    expect(answer).toEqual({ status: 201, body: { id: 'w1' } });
    expect(widgets.calls()).toBe(2);
  });

  it('never retries a 500 or a 4xx', async () => {
    const widgets = await startWidgets(failing(500), ok(200));
    const client = widgetsClient(widgets.url);

    const call = getWidget(client);

    await expect(call).rejects.toMatchObject({ status: 502, upstreamStatus: 500 });
    expect(widgets.calls()).toBe(1);
  });

  it('waits as long as Retry-After asks before the next attempt', async () => {
    const arrivals: number[] = [];
    const arrive =
      (answer: Answer): Answer =>
      (res) => {
        arrivals.push(Date.now());
        answer(res);
      };
    const widgets = await startWidgets(
      arrive(failing(503, { 'retry-after': '1' })),
      arrive(ok(200)),
    );
    const client = widgetsClient(widgets.url);

    const answer = await getWidget(client);

    expect(answer.status).toBe(200);
    expect(widgets.calls()).toBe(2);
    // Real time, on a clock that counts whole milliseconds: a second later, never sooner.
    expect((arrivals[1] ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThanOrEqual(999);
  });

  it('does not retry when Retry-After asks for longer than it would wait', async () => {
    const widgets = await startWidgets(failing(503, { 'retry-after': '120' }), ok(200));
    const client = widgetsClient(widgets.url, { maxRetryAfterMs: 2_000 });

    const call = getWidget(client);

    await expect(call).rejects.toMatchObject({ upstreamStatus: 503 });
    expect(widgets.calls()).toBe(1);
  });
});

describe('timeout', () => {
  it('fails with 504 once the budget is spent, and counts it against the downstream', async () => {
    const widgets = await startWidgets(() => {});
    const client = widgetsClient(widgets.url, { timeoutMs: 50, breakerThreshold: 1, retries: 0 });
    await expect(getWidget(client)).rejects.toBeInstanceOf(UpstreamTimeoutError);

    const call = getWidget(client);

    await expect(call).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(widgets.calls()).toBe(1);
  });
});

describe('circuit breaker', () => {
  const breakerSettings = { breakerThreshold: 2, halfOpenAfterMs: 3_000, retries: 0 };
  // A still clock, so the pause left (and the Retry-After rounded from it) is exactly 3 s.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });

  it('opens after failures in a row and fails calls at once, without calling the downstream', async () => {
    const widgets = await startWidgets(failing(500));
    const client = widgetsClient(widgets.url, breakerSettings);
    await getWidget(client).catch(() => undefined);
    await getWidget(client).catch(() => undefined);

    const call = getWidget(client);

    await expect(call).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await expect(call).rejects.toMatchObject({ status: 503, retryAfterSeconds: 3 });
    expect(widgets.calls()).toBe(2);
  });

  it('answers 503 with Retry-After through the error middleware while open', async () => {
    const widgets = await startWidgets(failing(503));
    const client = widgetsClient(widgets.url, breakerSettings);
    const app = express();
    app.get('/widget', async (_req, res) => {
      res.json((await getWidget(client)).body);
    });
    app.use(problemErrorHandler(silentLogger()));
    await request(app).get('/widget');
    await request(app).get('/widget');

    const res = await request(app).get('/widget');

    expectProblem(res, 503, 'service-unavailable');
    expect(res.headers['retry-after']).toBe('3');
    expect(widgets.calls()).toBe(2);
  });

  const whatOpensIt = [
    { name: 'never opens for 4xx answers', answer: failing(404), calls: 3 },
    {
      name: 'never opens for 5xx answers that blame another service, passed on by this one',
      answer: failing(504, { [FAILED_SERVICE_HEADER]: 'payment' }),
      calls: 3,
    },
    {
      name: 'opens for 5xx answers that blame the service itself',
      answer: failing(500, { [FAILED_SERVICE_HEADER]: 'widgets' }),
      calls: 2,
    },
  ];
  for (const { name, answer, calls } of whatOpensIt) {
    it(name, async () => {
      const widgets = await startWidgets(answer);
      const client = widgetsClient(widgets.url, breakerSettings);
      await getWidget(client).catch(() => undefined);
      await getWidget(client).catch(() => undefined);

      await getWidget(client).catch(() => undefined);

      expect(widgets.calls()).toBe(calls);
    });
  }

  it('lets a trial call through once the pause is over, and closes when it succeeds', async () => {
    const widgets = await startWidgets(failing(500), failing(500), ok(200));
    const states: BreakerState[] = [];
    const client = widgetsClient(widgets.url, {
      ...breakerSettings,
      observer: {
        breakerChanged: (_service: string, state: BreakerState) => states.push(state),
        callEnded: () => {},
      },
    });
    await getWidget(client).catch(() => undefined);
    await getWidget(client).catch(() => undefined);
    await expect(getWidget(client)).rejects.toBeInstanceOf(UpstreamUnavailableError);

    vi.advanceTimersByTime(3_000);
    const trial = await getWidget(client);
    const after = await getWidget(client);

    expect(trial.status).toBe(200);
    expect(after.status).toBe(200);
    expect(states).toEqual(['closed', 'open', 'half-open', 'closed']);
    expect(widgets.calls()).toBe(4);
  });
});

describe('bulkhead', () => {
  it('refuses a call over its limit at once, while the others wait for the downstream', async () => {
    const held: Response[] = [];
    const widgets = await startWidgets((res) => held.push(res));
    // No call may time out while the bulkhead fills, however slowly the machine sends them.
    const policy = new DownstreamPolicy({
      service: 'widgets',
      timeoutMs: 600_000,
      maxConcurrent: 2,
      maxQueued: 1,
    });
    const client = widgetsClient(widgets.url, {}, policy);
    // Settled from the start, so none rejects unhandled if the test fails before the end.
    const inProgress = Promise.allSettled([
      getWidget(client),
      getWidget(client),
      getWidget(client),
    ]);
    try {
      await until(() => held.length === 2 && policy.load.waiting === 1);

      const refused = getWidget(client);

      await expect(refused).rejects.toBeInstanceOf(UpstreamUnavailableError);
      await expect(refused).rejects.toMatchObject({ retryAfterSeconds: 1 });
      for (const res of held.splice(0)) ok(200)(res);
      await until(() => held.length === 1);
    } finally {
      for (const res of held.splice(0)) ok(200)(res);
    }
    const answers = await inProgress;
    expect(answers.map((answer) => answer.status === 'fulfilled' && answer.value.status)).toEqual([
      200, 200, 200,
    ]);
    expect(widgets.calls()).toBe(3);
  });
});

describe('observer', () => {
  it('hears how each call ended: by its status class, or unreachable, or rejected by the open circuit', async () => {
    const widgets = await startWidgets(ok(200), failing(404), failing(500));
    const ended: string[] = [];
    const client = widgetsClient(widgets.url, {
      breakerThreshold: 1,
      retries: 0,
      observer: {
        breakerChanged: () => {},
        callEnded: (service, outcome, seconds) => {
          expect(service).toBe('widgets');
          expect(seconds).toBeGreaterThanOrEqual(0);
          ended.push(outcome);
        },
      },
    });
    for (let call = 0; call < 4; call += 1) await getWidget(client).catch(() => undefined);
    const unreachable = widgetsClient(`http://127.0.0.1:${await freePort()}`, {
      retries: 0,
      observer: { breakerChanged: () => {}, callEnded: (_service, outcome) => ended.push(outcome) },
    });
    await getWidget(unreachable).catch(() => undefined);

    expect(ended).toEqual(['2xx', '4xx', '5xx', 'rejected', 'unreachable']);
  });
});
