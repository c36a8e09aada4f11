import { Router } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createServiceApp, signInternalToken } from '../src/index.js';
import { expectProblem, refusedInternalCredentials, TEST_INTERNAL_SECRET } from '../src/testing.js';
import { testAppBasics } from './support.js';

/** A service `order` that the gateway and the kitchen call; it answers with the caller it saw. */
function orderService() {
  const orders = Router();
  orders.post('/:orderId/cancel', (_req, res) => {
    res.json(res.locals.caller);
  });
  const router = Router();
  router.get('/orders', (_req, res) => {
    res.json(res.locals.caller);
  });
  // Mounted under a prefix, so req.url inside it is not the path the caller signed.
  router.use('/orders', orders);
  return createServiceApp({
    ...testAppBasics('order', ['gateway', 'kitchen']),
    readiness: async () => ({}),
    routes: [router],
  });
}

const signed = async (issuer: string, method: string, path: string) =>
  `Bearer ${await signInternalToken({
    secret: TEST_INTERNAL_SECRET,
    issuer,
    audience: 'order',
    method,
    path,
    user: { id: 'usr_alice', role: 'customer' },
  })}`;

describe('requireInternalCredential', () => {
  it('lets through a credential from an expected caller, made for this method and path', async () => {
    const authorization = await signed('gateway', 'GET', '/orders');

    const res = await request(orderService())
      .get('/orders')
      .query({ limit: 2 })
      .set('authorization', authorization);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      service: 'gateway',
      user: { id: 'usr_alice', role: 'customer' },
    });
  });

  it('compares the full original path, under a mounted router too', async () => {
    const authorization = await signed('kitchen', 'POST', '/orders/ord_1/cancel');

    const res = await request(orderService())
      .post('/orders/ord_1/cancel')
      .set('authorization', authorization);

    expect(res.status).toBe(200);
    expect(res.body.service).toBe('kitchen');
  });

  it('answers 401 to a credential from an issuer the service does not expect', async () => {
    const authorization = await signed('payment', 'GET', '/orders');

    const res = await request(orderService()).get('/orders').set('authorization', authorization);

    expectProblem(res, 401, 'unauthenticated');
  });

  it('answers 401 to a credential for GET /orders replayed as POST /orders/{id}/cancel', async () => {
    const authorization = await signed('gateway', 'GET', '/orders');

    const res = await request(orderService())
      .post('/orders/ord_1/cancel')
      .set('authorization', authorization);

    expectProblem(res, 401, 'unauthenticated');
  });

  it.each(
    refusedInternalCredentials({
      issuer: 'gateway',
      audience: 'order',
      method: 'POST',
      path: '/orders/ord_1/cancel',
    }),
  )('answers 401 to a credential %s', async (_reason, authorization) => {
    const app = orderService();

    const res = await request(app).post('/orders/ord_1/cancel').set('authorization', authorization);

    expectProblem(res, 401, 'unauthenticated');
  });
});
