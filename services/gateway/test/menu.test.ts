import { Menu } from '@cheesecake/contracts';
import { expectProblem } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { aMenu } from './samples.js';
import { startSystem, type TestSystem } from './system.js';

describe('GET /api/menu', () => {
  let system: TestSystem;
  let menu: Menu;

  beforeAll(async () => {
    system = await startSystem({
      order: { getMenu: async () => ({ status: 200, body: menu }) },
    });
  });
  afterAll(() => system.close());

  it('returns the menu to anyone, asking the order service as the gateway without a user', async () => {
    menu = aMenu();

    const res = await request(system.gateway).get('/api/menu');

    expect(res.status).toBe(200);
    expect(Menu.parse(res.body)).toEqual(aMenu());
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(system.order.calls.at(-1)?.caller).toEqual({ service: 'gateway' });
  });

  it('answers 304 without a body to an If-None-Match of the current ETag', async () => {
    menu = aMenu();
    const first = await request(system.gateway).get('/api/menu');
    const etag = String(first.headers.etag);

    const res = await request(system.gateway).get('/api/menu').set('if-none-match', etag);

    expect(etag).toMatch(/^W\/"/);
    expect(res.status).toBe(304);
    expect(res.text).toBe('');
    expect(res.headers.etag).toBe(etag);
  });

  it('answers 200 with a new ETag once the menu has changed', async () => {
    menu = aMenu();
    const first = await request(system.gateway).get('/api/menu');
    menu = aMenu({ available: false });

    const res = await request(system.gateway)
      .get('/api/menu')
      .set('if-none-match', String(first.headers.etag));

    expect(res.status).toBe(200);
    expect(Menu.parse(res.body).items[0]?.available).toBe(false);
    expect(res.headers.etag).not.toBe(first.headers.etag);
  });
});

describe('GET /api/menu when the order service is down', () => {
  it('returns 503 service-unavailable', async () => {
    const system = await startSystem();
    onTestFinished(() => system.close());
    await system.order.close();

    const res = await request(system.gateway).get('/api/menu');

    expectProblem(res, 503, 'service-unavailable');
  });
});
