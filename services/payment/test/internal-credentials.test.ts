import { expectProblem, refusedInternalCredentials } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { fromGateway, fromKitchenService, usePaymentService } from './support.js';

const service = usePaymentService();

describe('the payment service’s internal credentials', () => {
  it('lets the gateway read the payments of an order with a credential for GET /payments', async () => {
    const credential = fromGateway();

    const res = await request(service.app)
      .get('/payments')
      .query({ orderId: 'ord_1' })
      .use(credential);

    expect(res.status).toBe(200);
  });

  it('answers 401 to the kitchen, which does not call the payment service', async () => {
    const credential = fromKitchenService();

    const res = await request(service.app)
      .get('/payments')
      .query({ orderId: 'ord_1' })
      .use(credential);

    expectProblem(res, 401, 'unauthenticated');
  });

  it.each(
    refusedInternalCredentials({
      issuer: 'gateway',
      audience: 'payment',
      method: 'GET',
      path: '/payments',
    }),
  )('answers 401 to a credential %s', async (_reason, authorization) => {
    const listing = request(service.app).get('/payments').query({ orderId: 'ord_1' });

    const res = await listing.set('authorization', authorization);

    expectProblem(res, 401, 'unauthenticated');
  });
});
