import { z } from 'zod';
import { ResourceId } from './common.js';
import { defineEndpoint } from './endpoint.js';
import { ChargeHeaders, ChargeRequest, Payment, PaymentList } from './payments.js';
import { problemResponses } from './problem.js';

/** The payment service's internal API (port 3002): charges and refunds. */
export const paymentApi = {
  charge: defineEndpoint({
    method: 'POST',
    path: '/payments',
    summary:
      'Charge a card for an order: 201 with the new payment (CAPTURED or DECLINED), 200 with the first payment when the idempotency key or the order was already charged',
    headers: ChargeHeaders,
    body: ChargeRequest,
    responses: { 201: Payment, 200: Payment, ...problemResponses(400, 401, 403, 422) },
  }),
  listPayments: defineEndpoint({
    method: 'GET',
    path: '/payments',
    summary: 'The payments of an order, oldest first',
    query: z.strictObject({ orderId: ResourceId }),
    responses: { 200: PaymentList, ...problemResponses(400, 401, 403) },
  }),
  getPayment: defineEndpoint({
    method: 'GET',
    path: '/payments/:paymentId',
    summary: 'One payment',
    params: z.strictObject({ paymentId: ResourceId }),
    responses: { 200: Payment, ...problemResponses(400, 401, 403, 404) },
  }),
  refundPayment: defineEndpoint({
    method: 'POST',
    path: '/payments/:paymentId/refund',
    summary: 'Refund a captured payment; refunding it again answers the same refund',
    params: z.strictObject({ paymentId: ResourceId }),
    responses: { 200: Payment, ...problemResponses(400, 401, 403, 404, 409) },
  }),
};
