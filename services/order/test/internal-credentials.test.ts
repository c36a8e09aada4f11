import { expectProblem, refusedInternalCredentials } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { asCustomer, newCustomerId, useOrderService } from './support.js';

const service = useOrderService();

describe('the order service’s internal credentials', () => {
  it('lets the gateway list orders for a customer with a credential for GET /orders', async () => {
    const credential = asCustomer(newCustomerId());

    const res = await request(service.app).get('/orders').use(credential);

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
    const listing = request(service.app).get('/orders');

    const res = await listing.set('authorization', authorization);

    expectProblem(res, 401, 'unauthenticated');
  });
});
