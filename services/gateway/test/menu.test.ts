import { Menu } from '@cheesecake/contracts';
import { expectProblem } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { aMenu, startSystem, type TestSystem } from './support.js';

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

describe('GET /api/menu with Cache-Control: no-cache', () => {
  it('revalidates with the order service within the TTL and answers 304 when the ETag still matches', async () => {
    freezeClock();
    const first = await request(system.gateway).get('/api/menu');
    const etag = String(first.headers.etag);
    vi.advanceTimersByTime(10_000);

    const res = await request(system.gateway)
      .get('/api/menu')
      .set('if-none-match', etag)
      .set('cache-control', 'no-cache');

    expect(res.status).toBe(304);
    expect(res.text).toBe('');
    expect(res.headers.etag).toBe(etag);
    expect(res.headers['cache-control']).toBe('public, max-age=30');
    expect(res.headers.age).toBe('0');
    expect(system.order.calls).toHaveLength(2);
  });

  it('answers 200 with the new menu and its ETag when the menu changed within the TTL', async () => {
    const first = await request(system.gateway).get('/api/menu');
    const etag = String(first.headers.etag);
    menu = aMenu({ available: false });

    const res = await request(system.gateway)
      .get('/api/menu')
      .set('if-none-match', etag)
      .set('cache-control', 'max-age=0, no-cache');

    expect(res.status).toBe(200);
    expect(Menu.parse(res.body)).toEqual(aMenu({ available: false }));
    expect(res.headers.etag).toMatch(/^"[\w-]+"$/);
    expect(res.headers.etag).not.toBe(etag);
    expect(system.order.calls).toHaveLength(2);
  });

  it('keeps the revalidated menu for the requests after it', async () => {
    await request(system.gateway).get('/api/menu');
    menu = aMenu({ available: false });
    const revalidated = await request(system.gateway)
      .get('/api/menu')
      .set('cache-control', 'no-cache');

    const res = await request(system.gateway).get('/api/menu');

    expect(Menu.parse(res.body)).toEqual(aMenu({ available: false }));
    expect(res.headers.etag).toBe(revalidated.headers.etag);
    expect(system.order.calls).toHaveLength(2);
  });

  it('answers from memory without it, even to an If-None-Match that no longer matches the menu', async () => {
    const first = await request(system.gateway).get('/api/menu');
    menu = aMenu({ available: false });

    const res = await request(system.gateway)
      .get('/api/menu')
      .set('if-none-match', String(first.headers.etag));

    expect(res.status).toBe(304);
    expect(system.order.calls).toHaveLength(1);
  });
});

describe.each([
  { header: 'cache-control', value: 'max-age=0' },
  { header: 'pragma', value: 'no-cache' },
])('GET /api/menu with $header: $value', ({ header, value }) => {
  it('revalidates with the order service within the TTL and answers 304 when the ETag still matches', async () => {
    const first = await request(system.gateway).get('/api/menu');

    const res = await request(system.gateway)
      .get('/api/menu')
      .set('if-none-match', String(first.headers.etag))
      .set(header, value);

    expect(res.status).toBe(304);
    expect(system.order.calls).toHaveLength(2);
  });
});

describe('GET /api/menu with If-None-Match', () => {
  const etagOfTheMenu = async () =>
    String((await request(system.gateway).get('/api/menu')).headers.etag);

  it.each([
    ['the ETag itself', (etag: string) => etag],
    ['the ETag marked weak', (etag: string) => `W/${etag}`],
    ['a list holding it', (etag: string) => `"old", ${etag}`],
    ['a list holding it weak, with empty elements', (etag: string) => `"old",, W/${etag} ,`],
    ['*', () => '*'],
  ])('answers 304 to %s', async (_, ifNoneMatch) => {
    const etag = await etagOfTheMenu();

    const res = await request(system.gateway)
      .get('/api/menu')
      .set('if-none-match', ifNoneMatch(etag))
      .set('cache-control', 'no-cache');

    expect(res.status).toBe(304);
    expect(res.headers.etag).toBe(etag);
  });

  it.each([
    ['another ETag', () => '"stale"'],
    ['a list without it', () => '"old", W/"older"'],
    ['the ETag without its quotes', (etag: string) => etag.slice(1, -1)],
    ['the ETag glued to another', (etag: string) => `${etag}"old"`],
    ['a list with * in it', (etag: string) => `*, ${etag}`],
    ['an ETag whose opaque part has a comma', (etag: string) => `"${etag.slice(1, -1)},x"`],
  ])('answers 200 with the menu to %s', async (_, ifNoneMatch) => {
    const etag = await etagOfTheMenu();

    const res = await request(system.gateway)
      .get('/api/menu')
      .set('if-none-match', ifNoneMatch(etag))
      .set('cache-control', 'no-cache');

    expect(res.status).toBe(200);
    expect(Menu.parse(res.body)).toEqual(aMenu());
    expect(res.headers.etag).toBe(etag);
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

  it('serves the menu it has past its TTL, with its age, rather than failing', async () => {
    freezeClock();
    const first = await request(system.gateway).get('/api/menu');
    vi.advanceTimersByTime(60_000);
    await system.order.close();

    const res = await request(system.gateway).get('/api/menu');

    expect(res.status).toBe(200);
    expect(Menu.parse(res.body)).toEqual(aMenu());
    expect(res.headers.etag).toBe(first.headers.etag);
    expect(res.headers.age).toBe('60');
  });

  it('answers 503 to a request that asks to revalidate, however recent the menu it has', async () => {
    await request(system.gateway).get('/api/menu');
    await system.order.close();

    const res = await request(system.gateway).get('/api/menu').set('cache-control', 'no-cache');

    expectProblem(res, 503, 'service-unavailable');
  });
});
