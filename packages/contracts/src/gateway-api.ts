import type { z } from 'zod';
import { TokenRequest, TokenResponse } from './auth.js';
import { HealthStatus, NoContent } from './common.js';
import { defineEndpoint, type PublicContract } from './endpoint.js';
import { expose } from './expose.js';
import { ListTicketsQuery, Ticket } from './kitchen.js';
import { kitchenApi } from './kitchen-api.js';
import { LiveServerMessage, LiveUpdatesQuery } from './live-updates.js';
import {
  DeadLetter,
  DeadLetterList,
  DeadLetterParams,
  FaultParams,
  OutboxBacklogList,
  opsApi,
} from './ops.js';
import { orderApi } from './order-api.js';
import { Order } from './orders.js';
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
 * The public API, as the gateway serves it on port 8080: the services' routes it passes on,
 * derived from their records, and its own (tokens, live updates, health).
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
  // Served from the gateway's memory; the order service's 401 is about the gateway's own
  // credentials, which a caller never sees.
  getMenu: expose(orderApi.getMenu, {
    prefix: '/api',
    access: 'anyone',
    summary: 'The menu with prices and availability; answers 304 to a matching If-None-Match',
    // No body: the copy the client named by its ETag is still the menu.
    responses: { 304: NoContent },
    omits: [401],
  }),
  createOrder: expose(orderApi.createOrder, {
    prefix: '/api',
    summary: 'Order dishes from the menu',
  }),
  listOrders: expose(orderApi.listOrders, {
    prefix: '/api',
    summary: "A page of orders, newest first: a customer's own, all for the kitchen and admins",
  }),
  // Answered by the gateway itself, which joins the order with its payment and ticket.
  getOrder: expose(orderApi.getOrder, {
    prefix: '/api',
    summary: 'One order with its payment and kitchen ticket; a customer sees only their own',
    responses: { 200: OrderDetails },
  }),
  payOrder: expose(orderApi.payOrder, {
    prefix: '/api',
    summary: 'Pay your order with a test card token; 402 when declined',
  }),
  cancelOrder: expose(orderApi.cancelOrder, {
    prefix: '/api',
    summary: 'Cancel your order, refunding it when paid; 409 once preparation has started',
  }),
  getTimeline: expose(orderApi.getTimeline, {
    prefix: '/api',
    summary:
      'The saga of an order as it happened: each step with its time and the request id that caused it',
  }),
  streamOrderEvents: expose(orderApi.streamOrderEvents, {
    prefix: '/api',
    summary:
      'Follow an order live (server-sent events): its current status first, then each change; the stream ends at a final status. Send Last-Event-ID to resume after an event',
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
  listTickets: expose(kitchenApi.listTickets, {
    prefix: '/api/kitchen',
    summary: 'Kitchen tickets, oldest first, optionally by status',
    query: PublicListTicketsQuery,
  }),
  startTicket: expose(kitchenApi.startTicket, { prefix: '/api/kitchen' }),
  markTicketReady: expose(kitchenApi.markTicketReady, { prefix: '/api/kitchen' }),
  listStock: expose(kitchenApi.listStock, { prefix: '/api/kitchen' }),
  setStock: expose(kitchenApi.setStock, { prefix: '/api/kitchen' }),
  // The admin routes are the gateway's own: it asks every service with an outbox, or the one
  // service a path names.
  listOutboxBacklogs: expose(opsApi.getOutboxBacklog, {
    path: '/api/ops/outboxes',
    summary:
      'What waits in every outbox (order, kitchen): pending messages, dead letters, the oldest wait',
    responses: { 200: OutboxBacklogList },
  }),
  listDeadLetters: expose(opsApi.listDeadLetters, {
    prefix: '/api',
    summary: 'Messages that exhausted their retries in any outbox (order, kitchen), oldest first',
    // Under public ids that name the service, which the gateway adds.
    responses: { 200: DeadLetterList },
  }),
  retryDeadLetter: expose(opsApi.retryDeadLetter, {
    path: '/api/ops/dead-letters/:deadLetterId/retry',
    params: DeadLetterParams,
    summary: 'Deliver a dead letter again; its receiver deduplicates by message id',
    responses: { 200: DeadLetter },
  }),
  setFaults: expose(opsApi.setFaults, {
    path: '/api/ops/faults/:service',
    params: FaultParams,
    summary:
      'Inject faults into the order, payment or kitchen service: a failure rate and added latency; zeros switch them off',
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
