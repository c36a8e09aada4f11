import { Menu } from '@cheesecake/contracts';
import { expectProblem } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { aMenu } from './samples.js';
import { startSystem, type TestSystem } from './system.js';

let system: TestSystem;
let menu: Menu;

const startWithMenu = (env: Record<string, string> = {}) =>
  startSystem({ order: { getMenu: async () => ({ status: 200, body: menu }) } }, env);

beforeEach(async () => {
  menu = aMenu();
  system = await startWithMenu();
});
afterEach(async () => {
  vi.useRealTimers();
  await system.close();
});

// Only the clock moves: the stubs and supertest keep their real timers.
const freezeClock = () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2025-01-02T12:00:00.000Z'));
};

describe('GET /api/menu', () => {
  it('returns the menu to anyone, asking the order service as the gateway without a user', async () => {
    const res = await request(system.gateway).get('/api/menu');

    expect(res.status).toBe(200);
    expect(Menu.parse(res.body)).toEqual(aMenu());
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('public, max-age=30');
    expect(res.headers.etag).toMatch(/^"[\w-]+"$/);
    expect(system.order.calls.at(-1)?.caller).toEqual({ service: 'gateway' });
  });

  it('answers from memory until the TTL runs out, asking the order service once', async () => {
    freezeClock();
    const first = await request(system.gateway).get('/api/menu');
    vi.advanceTimersByTime(29_000);
    menu = aMenu({ available: false });

    const res = await request(system.gateway).get('/api/menu');

    expect(res.status).toBe(200);
    expect(Menu.parse(res.body)).toEqual(aMenu());
    expect(res.headers.etag).toBe(first.headers.etag);
    expect(res.headers.age).toBe('29');
    expect(system.order.calls).toHaveLength(1);
  });

  it('asks the order service again once the TTL has run out', async () => {
    freezeClock();
    const first = await request(system.gateway).get('/api/menu');
    vi.advanceTimersByTime(30_000);
    menu = aMenu({ available: false });

    const res = await request(system.gateway)
      .get('/api/menu')
      .set('if-none-match', String(first.headers.etag));

    expect(res.status).toBe(200);
    expect(Menu.parse(res.body).items[0]?.available).toBe(false);
    expect(res.headers.etag).not.toBe(first.headers.etag);
    expect(res.headers.age).toBe('0');
    expect(system.order.calls).toHaveLength(2);
  });

  it('asks the order service once for requests that miss the cache together', async () => {
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => request(system.gateway).get('/api/menu')),
    );

    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(answers.map((res) => res.headers.etag)).size).toBe(1);
    expect(system.order.calls).toHaveLength(1);
  });

  it('answers 304 without a body to an If-None-Match of the current ETag', async () => {
    const first = await request(system.gateway).get('/api/menu');
    const etag = String(first.headers.etag);

    const res = await request(system.gateway).get('/api/menu').set('if-none-match', etag);

    expect(res.status).toBe(304);
    expect(res.text).toBe('');
    expect(res.headers.etag).toBe(etag);
    expect(res.headers['cache-control']).toBe('public, max-age=30');
  });

  it('answers 200 to an If-None-Match of another ETag', async () => {
    const res = await request(system.gateway).get('/api/menu').set('if-none-match', '"stale"');

    expect(res.status).toBe(200);
    expect(Menu.parse(res.body)).toEqual(aMenu());
  });
});

describe('GET /api/menu with MENU_CACHE_TTL_SECONDS=0', () => {
  it('asks the order service every time and tells clients to revalidate', async () => {
    const uncached = await startWithMenu({ MENU_CACHE_TTL_SECONDS: '0' });
    onTestFinished(() => uncached.close());
    const first = await request(uncached.gateway).get('/api/menu');

    const res = await request(uncached.gateway)
      .get('/api/menu')
      .set('if-none-match', String(first.headers.etag));

    expect(first.headers['cache-control']).toBe('no-cache');
    expect(res.status).toBe(304);
    expect(uncached.order.calls).toHaveLength(2);
  });
});

describe('GET /api/menu when the order service is down', () => {
  it('returns 503 service-unavailable', async () => {
    await system.order.close();

    const res = await request(system.gateway).get('/api/menu');

    expectProblem(res, 503, 'service-unavailable');
  });
});
