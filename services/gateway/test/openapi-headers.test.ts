import express from 'express';
import type { OpenAPIObject, OperationObject, ResponseObject } from 'openapi3-ts/oas31';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { docsRoutes, gatewayOpenApiDocument } from '../src/edge/docs.js';
import { headerRef } from '../src/edge/openapi.js';

// The operations are listed before the document is fetched, for it.each; docs.test.ts checks
// that the gateway serves exactly this document.
const listed = gatewayOpenApiDocument('0.0.0');
let document: OpenAPIObject;

beforeAll(async () => {
  const res = await request(express().use(docsRoutes())).get('/openapi.json');
  document = res.body as OpenAPIObject;
});

/** Every operation of the document, with its route, path and responses. */
function operations(doc = document) {
  return Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item ?? {}).map(([method, operation]) => ({
      route: `${method.toUpperCase()} ${path}`,
      path,
      responses: ((operation as OperationObject).responses ?? {}) as Record<
        string,
        ResponseObject | undefined
      >,
    })),
  );
}

function operationOf(path: string, method: 'get' | 'post'): OperationObject {
  const operation = document.paths?.[path]?.[method];
  if (!operation) throw new Error(`No operation ${method} ${path}`);
  return operation;
}

describe('GET /openapi.json', () => {
  it('is served relative to where it was fetched from, to the public', () => {
    expect(document.servers).toEqual([expect.objectContaining({ url: '/', 'x-internal': false })]);
  });

  it.each(operations(listed).filter(({ path }) => path.startsWith('/api/')))(
    'describes the request id, CORS and rate limit headers on every answer of $route',
    ({ route }) => {
      const { responses } = operations().find((operation) => operation.route === route) ?? {};

      const described = Object.entries(responses ?? {}).filter(([status]) => status !== '101');

      for (const [, answer] of described) {
        expect(answer?.headers).toMatchObject({
          'X-Request-Id': headerRef('X-Request-Id'),
          'Access-Control-Allow-Origin': headerRef('Access-Control-Allow-Origin'),
          RateLimit: headerRef('RateLimit'),
          'RateLimit-Policy': headerRef('RateLimit-Policy'),
        });
      }
    },
  );

  it('says when to retry on every 429 and every 503 under /api', () => {
    const answers = operations()
      .filter(({ path }) => path.startsWith('/api/'))
      .flatMap(({ responses }) => [responses['429'], responses['503']])
      .filter((answer) => answer !== undefined);

    expect(answers.length).toBeGreaterThan(10);
    for (const answer of answers) {
      expect(answer.headers?.['Retry-After']).toEqual(headerRef('Retry-After'));
    }
    expect(document.components?.headers?.['Retry-After']).toMatchObject({
      schema: { type: 'integer', minimum: 0 },
    });
  });

  it("describes the menu's ETag and the 304 a matching If-None-Match gets", () => {
    const { responses = {} } = operationOf('/api/menu', 'get');

    expect(responses['200']?.headers?.ETag).toEqual(headerRef('ETag'));
    expect(responses['304']).toEqual({
      description: 'Not Modified',
      headers: expect.objectContaining({ ETag: headerRef('ETag') }),
    });
  });

  it('gives a new order its Location, and marks replays of keyed requests', () => {
    const created = operationOf('/api/orders', 'post').responses?.['201'];
    const paid = operationOf('/api/orders/{orderId}/payment', 'post').responses ?? {};

    expect(created?.headers).toMatchObject({
      Location: headerRef('Location'),
      'Idempotent-Replayed': headerRef('Idempotent-Replayed'),
    });
    expect(paid['402']?.headers?.['Idempotent-Replayed']).toEqual(headerRef('Idempotent-Replayed'));
    expect(paid['503']?.headers?.['Idempotent-Replayed']).toBeUndefined();
    expect(operationOf('/api/menu', 'get').responses?.['200']?.headers).not.toHaveProperty(
      'Idempotent-Replayed',
    );
  });

  it('defines every header it refers to', () => {
    const refs = JSON.stringify(document.paths).match(/#\/components\/headers\/[\w-]+/g) ?? [];

    const names = new Set(refs.map((ref) => ref.split('/').at(-1)));

    expect(Object.keys(document.components?.headers ?? {}).sort()).toEqual([...names].sort());
  });
});
