import type { Database } from '@cheesecake/service-kit';
import { expectProblem, refusedInternalCredentials } from '@cheesecake/service-kit/testing';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asCustomer, createTestApp, newCustomerId, openOrderDatabase } from './support.js';

let db: Database;
let app: Express;

beforeAll(async () => {
  db = await openOrderDatabase();
  ({ app } = createTestApp(db));
});
afterAll(() => db.close());

describe('the order service’s internal credentials', () => {
  it('lets the gateway list orders for a customer with a credential for GET /orders', async () => {
    const credential = asCustomer(newCustomerId());

    const res = await request(app).get('/orders').use(credential);

    expect(res.status).toBe(200);
  });

  it.each(
    refusedInternalCredentials({
      issuer: 'gateway',
      audience: 'order',
      method: 'GET',
      path: '/orders',
    }),
  )('answers 401 to a credential %s', async (_reason, authorization) => {
    const listing = request(app).get('/orders');

    const res = await listing.set('authorization', authorization);

    expectProblem(res, 401, 'unauthenticated');
  });
});
