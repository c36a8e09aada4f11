import { createRequire } from 'node:module';
import { expectProblem } from '@cheesecake/service-kit/testing';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docsRoutes, gatewayOpenApiDocument } from '../src/edge/docs.js';
import { startSystem, type TestSystem } from './support.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
const document = gatewayOpenApiDocument(version);

// What the parts of an express 5 router that matter here look like at run time.
interface RouterLayer {
  rawPath?: unknown;
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: RouterLayer[] };
}

/** `METHOD /path` of every route a router registers, in routers mounted on it too. */
function routesOf(router: { stack: RouterLayer[] }, prefix = ''): string[] {
  return router.stack.flatMap((layer) => {
    if (layer.route) {
      const { path, methods } = layer.route;
      return Object.keys(methods).map((method) => `${method.toUpperCase()} ${prefix}${path}`);
    }
    if (!layer.handle.stack) return [];
    if (typeof layer.rawPath !== 'string') throw new Error('A router mounted on several paths');
    return routesOf(
      layer.handle as { stack: RouterLayer[] },
      prefix + layer.rawPath.replace(/\/$/, ''),
    );
  });
}

const documented = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
  Object.keys(item ?? {}).map(
    (method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
  ),
);

let system: TestSystem;
let gateway: Express;

beforeAll(async () => {
  system = await startSystem();
  gateway = system.gateway;
});
afterAll(() => system.close());

describe('GET /openapi.json', () => {
  it('answers the OpenAPI document of the public API to anyone', async () => {
    const res = await request(gateway).get('/openapi.json');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body).toEqual(JSON.parse(JSON.stringify(document)));
    expect(res.body).toMatchObject({ openapi: '3.1.1', info: { version } });
  });

  it('describes every route the gateway serves, and no other', () => {
    // The docs describe the API; they are not part of it, so their own routes are left out.
    const docs = routesOf(docsRoutes() as unknown as { stack: RouterLayer[] });
    // Nor is /metrics: Prometheus's view of the gateway for its operators, in Prometheus's
    // text format, not an API clients build on.
    const undocumented = [...docs, 'GET /metrics'];

    const served = new Set(routesOf(gateway.router as unknown as { stack: RouterLayer[] }));

    expect(docs).toEqual(expect.arrayContaining(['GET /openapi.json', 'GET /docs']));
    expect([...served]).toEqual(expect.arrayContaining(undocumented));
    expect([...served].filter((route) => !undocumented.includes(route)).sort()).toEqual(
      [...documented].sort(),
    );
  });
});

describe('the security the document declares', () => {
  const operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item ?? {}).map(([method, operation]) => ({
      route: `${method.toUpperCase()} ${path}`,
      method: method as 'get' | 'post' | 'put',
      url: path.replace(/\{\w+\}/g, 'x1'),
      needsToken: (operation.security ?? []).length > 0,
    })),
  );

  it.each(operations.filter((operation) => operation.needsToken))(
    'is enforced: $route without a token answers 401',
    async ({ method, url }) => {
      const res = await request(gateway)[method](url);

      expectProblem(res, 401, 'unauthenticated');
      expect(res.headers['www-authenticate']).toBe('Bearer');
    },
  );

  it.each(operations.filter((operation) => !operation.needsToken))(
    'is honest: $route without a token is not refused for the lack of one',
    async ({ method, url }) => {
      const res = await request(gateway)[method](url);

      expect(res.status).not.toBe(401);
    },
  );
});

describe('GET /docs', () => {
  it('answers the Swagger UI page, which runs no inline script', async () => {
    const res = await request(gateway).get('/docs');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const scripts = [...res.text.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)];
    expect(scripts.map(([, attributes]) => attributes)).toEqual([
      ' src="/docs/swagger-ui-bundle.js"',
      ' src="/docs/swagger-initializer.js"',
    ]);
    expect(scripts.every(([, , body]) => body === '')).toBe(true);
    expect(res.text).not.toMatch(/\son\w+=/);
  });

  it.each([
    ['/docs/swagger-ui-bundle.js', /javascript/],
    ['/docs/swagger-initializer.js', /javascript/],
    ['/docs/swagger-ui.css', /^text\/css/],
    ['/docs/favicon-32x32.png', /^image\/png/],
  ])('serves %s from the gateway itself', async (path, contentType) => {
    const page = await request(gateway).get('/docs');

    const res = await request(gateway).get(path);

    expect(page.text).toContain(`"${path}"`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(contentType);
    expect(Number(res.headers['content-length'])).toBeGreaterThan(0);
  });

  it('points Swagger UI at /openapi.json and keeps the document off the public validator', async () => {
    const res = await request(gateway).get('/docs/swagger-initializer.js');

    expect(res.text).toContain("url: '/openapi.json'");
    expect(res.text).toContain('validatorUrl: null');
  });

  it('serves no other file of the Swagger UI package, such as its demo page', async () => {
    const res = await request(gateway).get('/docs/index.html');

    expectProblem(res, 404, 'not-found');
  });
});
