import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  CreateOrderRequest,
  type Endpoint,
  fillPath,
  gatewayApi,
  kitchenApi,
  ListOrdersQuery,
  orderApi,
  Problem,
  paymentApi,
  problemTypes,
} from '../src/index.js';

const contracts = { gatewayApi, orderApi, paymentApi, kitchenApi };
const records = Object.entries(contracts).flatMap(([contract, api]) =>
  Object.entries(api as Record<string, Endpoint>).map(([name, endpoint]) => ({
    id: `${contract}.${name}`,
    endpoint,
  })),
);

describe('endpoint records', () => {
  it.each(records)('$id declares exactly the path parameters its path has', ({ endpoint }) => {
    const inPath = [...endpoint.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((match) => match[1]).sort();
    const declared = endpoint.params
      ? Object.keys((endpoint.params as z.ZodObject).shape).sort()
      : [];

    expect(declared).toEqual(inPath);
  });

  it.each(records)('$id answers every error status with a problem document', ({ endpoint }) => {
    const errorSchemas = Object.entries(endpoint.responses).filter(
      ([status]) => Number(status) >= 400 && endpoint.path !== '/readyz',
    );

    for (const [, schema] of errorSchemas) expect(schema).toBe(Problem);
  });

  it.each(
    Object.entries(gatewayApi)
      .filter(([, endpoint]) => endpoint.access !== 'anyone')
      .map(([name, endpoint]) => ({ id: `gatewayApi.${name}`, endpoint })),
  )('$id, which needs a role, declares the 401 and 403 a caller may get', ({ endpoint }) => {
    expect(Object.keys(endpoint.responses)).toEqual(expect.arrayContaining(['401', '403']));
  });

  it.each(
    Object.entries(gatewayApi)
      .filter(([, endpoint]) => endpoint.access === 'anyone')
      .map(([name, endpoint]) => ({ id: `gatewayApi.${name}`, endpoint })),
  )('$id, open to anyone, declares no 403', ({ endpoint }) => {
    expect(Object.keys(endpoint.responses)).not.toContain('403');
  });

  it('gives every public route a unique method and path under /api, or a health path', () => {
    const routes = Object.values(gatewayApi).map(
      (endpoint) => `${endpoint.method} ${endpoint.path}`,
    );

    expect(new Set(routes).size).toBe(routes.length);
    for (const endpoint of Object.values(gatewayApi))
      expect(endpoint.path).toMatch(/^\/(api\/|healthz$|readyz$)/);
  });
});

describe('CreateOrderRequest', () => {
  it('accepts items and notes', () => {
    const parsed = CreateOrderRequest.parse({
      items: [{ menuItemId: 'new-york-cheesecake', quantity: 2 }],
      notes: 'Birthday candle, please',
    });

    expect(parsed.items[0]).toEqual({ menuItemId: 'new-york-cheesecake', quantity: 2 });
  });

  it('rejects fields a client must not set, such as a status or a total', () => {
    const result = CreateOrderRequest.safeParse({
      items: [{ menuItemId: 'tiramisu', quantity: 1 }],
      status: 'PAID',
      totalCents: 1,
    });

    expect(result.success).toBe(false);
  });

  it.each([0, -1, 21, 1.5])('rejects a quantity of %s', (quantity) => {
    expect(
      CreateOrderRequest.safeParse({ items: [{ menuItemId: 'tiramisu', quantity }] }).success,
    ).toBe(false);
  });

  it('rejects an empty order', () => {
    expect(CreateOrderRequest.safeParse({ items: [] }).success).toBe(false);
  });
});

describe('ListOrdersQuery', () => {
  it('reads the page size from the query string and defaults it', () => {
    expect(ListOrdersQuery.parse({ limit: '5' }).limit).toBe(5);
    expect(ListOrdersQuery.parse({}).limit).toBe(20);
  });

  it('rejects a page size over 100 and an unknown status', () => {
    expect(ListOrdersQuery.safeParse({ limit: '101' }).success).toBe(false);
    expect(ListOrdersQuery.safeParse({ status: 'EATEN' }).success).toBe(false);
  });
});

describe('problemTypes', () => {
  it('has unique codes and statuses in the 4xx and 5xx ranges', () => {
    const codes = Object.values(problemTypes).map((type) => type.code);

    expect(new Set(codes).size).toBe(codes.length);
    for (const type of Object.values(problemTypes)) expect(type.status).toBeGreaterThanOrEqual(400);
  });
});

describe('fillPath', () => {
  it('encodes each parameter', () => {
    expect(fillPath('/orders/:orderId/payment', { orderId: 'a/b c' })).toBe(
      '/orders/a%2Fb%20c/payment',
    );
  });

  it('refuses a missing parameter', () => {
    expect(() => fillPath('/orders/:orderId', {})).toThrow('orderId');
  });
});
