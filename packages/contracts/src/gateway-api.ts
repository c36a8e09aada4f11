import type { z } from 'zod';
import { TokenRequest, TokenResponse } from './auth.js';
import { HealthStatus, IdempotencyHeaders, NoContent } from './common.js';
import { defineEndpoint, type PublicContract } from './endpoint.js';
import {
  ListTicketsQuery,
  SetStockRequest,
  StockLevel,
  StockParams,
  Ticket,
  TicketList,
  TicketParams,
} from './kitchen.js';
import { LiveServerMessage, LiveUpdatesQuery } from './live-updates.js';
import { Menu } from './menu.js';
import { DeadLetter, DeadLetterList, DeadLetterParams, FaultParams, FaultSettings } from './ops.js';
import {
  CreateOrderRequest,
  ListOrdersQuery,
  Order,
  OrderEventsHeaders,
  OrderPage,
  OrderParams,
  OrderStatusEvent,
  OrderTimeline,
  PayOrderRequest,
} from './orders.js';
import { Payment } from './payments.js';
import { problemResponses } from './problem.js';

/**
 * An order joined with its latest payment and its kitchen ticket, composed by the
 * gateway. A part whose service is down, or that does not exist yet, is null.
 */
export const OrderDetails = Order.extend({
  payment: Payment.nullable(),
  ticket: Ticket.nullable(),
});
export type OrderDetails = z.infer<typeof OrderDetails>;

/** The query of the public `GET /api/kitchen/tickets`. */
export const PublicListTicketsQuery = ListTicketsQuery.pick({ status: true });

/**
 * The public API, as the gateway serves it on port 8080. Every route under `/api` may also
 * answer 429 once its caller exceeds the rate limit, and a route with a body 413 and 415.
 */
export const gatewayApi = {
  issueToken: defineEndpoint({
    method: 'POST',
    path: '/api/auth/token',
    summary: 'Exchange a username and password for a signed access token (JWT)',
    access: 'anyone',
    body: TokenRequest,
    responses: { 200: TokenResponse, ...problemResponses(400, 401, 413, 415, 429) },
  }),
  getMenu: defineEndpoint({
    method: 'GET',
    path: '/api/menu',
    summary: 'The menu with prices and availability; answers 304 to a matching If-None-Match',
    access: 'anyone',
    responses: { 200: Menu, ...problemResponses(429, 502, 503, 504) },
  }),
  createOrder: defineEndpoint({
    method: 'POST',
    path: '/api/orders',
    summary: 'Order dishes from the menu',
    access: ['customer'],
    body: CreateOrderRequest,
    headers: IdempotencyHeaders,
    responses: {
      201: Order,
      ...problemResponses(400, 401, 403, 409, 413, 415, 422, 429, 502, 503, 504),
    },
  }),
  listOrders: defineEndpoint({
    method: 'GET',
    path: '/api/orders',
    summary: "A page of orders, newest first: a customer's own, all for the kitchen and admins",
    access: ['customer', 'kitchen', 'admin'],
    query: ListOrdersQuery,
    responses: { 200: OrderPage, ...problemResponses(400, 401, 403, 429, 502, 503, 504) },
  }),
  getOrder: defineEndpoint({
    method: 'GET',
    path: '/api/orders/:orderId',
    summary: 'One order with its payment and kitchen ticket; a customer sees only their own',
    access: ['customer', 'kitchen', 'admin'],
    params: OrderParams,
    responses: {
      200: OrderDetails,
      ...problemResponses(400, 401, 403, 404, 429, 502, 503, 504),
    },
  }),
  payOrder: defineEndpoint({
    method: 'POST',
    path: '/api/orders/:orderId/payment',
    summary: 'Pay your order with a test card token; 402 when declined',
    access: ['customer'],
    params: OrderParams,
    body: PayOrderRequest,
    headers: IdempotencyHeaders,
    responses: {
      200: Order,
      ...problemResponses(400, 401, 402, 403, 404, 409, 413, 415, 422, 429, 502, 503, 504),
    },
  }),
  cancelOrder: defineEndpoint({
    method: 'POST',
    path: '/api/orders/:orderId/cancel',
    summary: 'Cancel your order, refunding it when paid; 409 once preparation has started',
    access: ['customer'],
    params: OrderParams,
    headers: IdempotencyHeaders,
    responses: {
      200: Order,
      ...problemResponses(400, 401, 403, 404, 409, 422, 429, 502, 503, 504),
    },
  }),
  getTimeline: defineEndpoint({
    method: 'GET',
    path: '/api/orders/:orderId/timeline',
    summary:
      'The saga of an order as it happened: each step with its time and the request id that caused it',
    access: ['customer', 'kitchen', 'admin'],
    params: OrderParams,
    responses: {
      200: OrderTimeline,
      ...problemResponses(400, 401, 403, 404, 429, 502, 503, 504),
    },
  }),
  streamOrderEvents: defineEndpoint({
    method: 'GET',
    path: '/api/orders/:orderId/events',
    summary:
      'Follow an order live (server-sent events): its current status first, then each change; the stream ends at a final status. Send Last-Event-ID to resume after an event',
    access: ['customer', 'kitchen', 'admin'],
    params: OrderParams,
    headers: OrderEventsHeaders,
    eventStream: true,
    responses: {
      200: OrderStatusEvent,
      // Resumed after the final status: nothing more will come, so an EventSource stops.
      204: NoContent,
      ...problemResponses(400, 401, 403, 404, 429, 502, 503, 504),
    },
  }),
  liveUpdates: defineEndpoint({
    method: 'GET',
    path: '/api/ws',
    summary:
      'Follow orders over a WebSocket: send {"type":"subscribe","orderId"} ("*" for every order: kitchen and admins) and receive each status as {"type":"order.status",orderId,status,at}. The token goes in the query; a plain GET is answered 426',
    access: ['customer', 'kitchen', 'admin'],
    query: LiveUpdatesQuery,
    responses: {
      101: LiveServerMessage,
      ...problemResponses(400, 401, 403, 426, 429),
    },
  }),
  listTickets: defineEndpoint({
    method: 'GET',
    path: '/api/kitchen/tickets',
    summary: 'Kitchen tickets, oldest first, optionally by status',
    access: ['kitchen', 'admin'],
    query: PublicListTicketsQuery,
    responses: { 200: TicketList, ...problemResponses(400, 401, 403, 429, 502, 503, 504) },
  }),
  startTicket: defineEndpoint({
    method: 'POST',
    path: '/api/kitchen/tickets/:ticketId/start',
    summary: 'Start preparing a queued ticket',
    access: ['kitchen', 'admin'],
    params: TicketParams,
    responses: { 200: Ticket, ...problemResponses(400, 401, 403, 404, 409, 429, 502, 503, 504) },
  }),
  markTicketReady: defineEndpoint({
    method: 'POST',
    path: '/api/kitchen/tickets/:ticketId/ready',
    summary: 'Mark a ticket in preparation as ready',
    access: ['kitchen', 'admin'],
    params: TicketParams,
    responses: { 200: Ticket, ...problemResponses(400, 401, 403, 404, 409, 429, 502, 503, 504) },
  }),
  setStock: defineEndpoint({
    method: 'PUT',
    path: '/api/kitchen/stock/:menuItemId',
    summary: 'Set the portions left of a dish',
    access: ['kitchen', 'admin'],
    params: StockParams,
    body: SetStockRequest,
    responses: {
      200: StockLevel,
      ...problemResponses(400, 401, 403, 404, 413, 415, 429, 502, 503, 504),
    },
  }),
  listDeadLetters: defineEndpoint({
    method: 'GET',
    path: '/api/ops/dead-letters',
    summary: 'Messages that exhausted their retries in any outbox (order, kitchen), oldest first',
    access: ['admin'],
    responses: { 200: DeadLetterList, ...problemResponses(401, 403, 429, 502, 503, 504) },
  }),
  retryDeadLetter: defineEndpoint({
    method: 'POST',
    path: '/api/ops/dead-letters/:deadLetterId/retry',
    summary: 'Deliver a dead letter again; its receiver deduplicates by message id',
    access: ['admin'],
    params: DeadLetterParams,
    responses: {
      200: DeadLetter,
      ...problemResponses(400, 401, 403, 404, 409, 429, 502, 503, 504),
    },
  }),
  setFaults: defineEndpoint({
    method: 'PUT',
    path: '/api/ops/faults/:service',
    summary:
      'Inject faults into the order, payment or kitchen service: a failure rate and added latency; zeros switch them off',
    access: ['admin'],
    params: FaultParams,
    body: FaultSettings,
    responses: {
      200: FaultSettings,
      ...problemResponses(400, 401, 403, 413, 415, 429, 502, 503, 504),
    },
  }),
  liveness: defineEndpoint({
    method: 'GET',
    path: '/healthz',
    summary: 'Liveness: the process answers',
    access: 'anyone',
    responses: { 200: HealthStatus },
  }),
  readiness: defineEndpoint({
    method: 'GET',
    path: '/readyz',
    summary: 'Readiness: the order, payment and kitchen services answer their own readiness',
    access: 'anyone',
    responses: { 200: HealthStatus, 503: HealthStatus },
  }),
} satisfies PublicContract;
