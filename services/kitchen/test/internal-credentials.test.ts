import { expectProblem, refusedInternalCredentials } from '@cheesecake/service-kit/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { asGateway, useKitchenService } from './support.js';

const service = useKitchenService();

describe('the kitchen service’s internal credentials', () => {
  it('lets the gateway list tickets with a credential for GET /tickets', async () => {
    const credential = asGateway();

    const res = await request(service.app)
      .get('/tickets')
      .query({ orderId: 'ord_1' })
      .use(credential);

    expect(res.status).toBe(200);
  });

  it.each(
    refusedInternalCredentials({
      issuer: 'gateway',
      audience: 'kitchen',
      method: 'GET',
      path: '/tickets',
    }),
  )('answers 401 to a credential %s', async (_reason, authorization) => {
    const listing = request(service.app).get('/tickets').query({ orderId: 'ord_1' });

    const res = await listing.set('authorization', authorization);

    expectProblem(res, 401, 'unauthenticated');
  });
});
