import type { z } from 'zod';
import { TokenRequest, TokenResponse } from './auth.js';
import { HealthStatus } from './common.js';
import { defineEndpoint } from './endpoint.js';
import {
  ListTicketsQuery,
  SetStockRequest,
  StockLevel,
  StockParams,
  Ticket,
  TicketList,
  TicketParams,
} from './kitchen.js';
import { Menu } from './menu.js';
import {
  CreateOrderRequest,
  ListOrdersQuery,
  Order,
  OrderPage,
  OrderParams,
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

/** The public API, as the gateway serves it on port 8080. */
export const gatewayApi = {
  issueToken: defineEndpoint({
    method: 'POST',
    path: '/api/auth/token',
    summary: 'Exchange a username and password for a signed access token (JWT)',
    body: TokenRequest,
    responses: { 200: TokenResponse, ...problemResponses(400, 401) },
  }),
  getMenu: defineEndpoint({
    method: 'GET',
    path: '/api/menu',
    summary: 'The menu with prices and availability; answers 304 to a matching If-None-Match',
    responses: { 200: Menu, ...problemResponses(502, 503, 504) },
  }),
  createOrder: defineEndpoint({
    method: 'POST',
    path: '/api/orders',
    summary: 'Order dishes from the menu (customers)',
    body: CreateOrderRequest,
    responses: { 201: Order, ...problemResponses(400, 401, 403, 409, 502, 503, 504) },
  }),
  listOrders: defineEndpoint({
    method: 'GET',
    path: '/api/orders',
    summary: "A page of orders, newest first: a customer's own, all for the kitchen and admins",
    query: ListOrdersQuery,
    responses: { 200: OrderPage, ...problemResponses(400, 401, 403, 502, 503, 504) },
  }),
  getOrder: defineEndpoint({
    method: 'GET',
    path: '/api/orders/:orderId',
    summary: 'One order with its payment and kitchen ticket (owner, kitchen or admin)',
    params: OrderParams,
    responses: { 200: OrderDetails, ...problemResponses(400, 401, 403, 404, 502, 503, 504) },
  }),
  payOrder: defineEndpoint({
    method: 'POST',
    path: '/api/orders/:orderId/payment',
    summary: 'Pay an order with a test card token (owner); 402 when declined',
    params: OrderParams,
    body: PayOrderRequest,
    responses: { 200: Order, ...problemResponses(400, 401, 402, 403, 404, 409, 502, 503, 504) },
  }),
  cancelOrder: defineEndpoint({
    method: 'POST',
    path: '/api/orders/:orderId/cancel',
    summary: 'Cancel an order (owner); refunds it when paid; 409 once preparation has started',
    params: OrderParams,
    responses: { 200: Order, ...problemResponses(400, 401, 403, 404, 409, 502, 503, 504) },
  }),
  listTickets: defineEndpoint({
    method: 'GET',
    path: '/api/kitchen/tickets',
    summary: 'Kitchen tickets, oldest first, optionally by status (kitchen, admin)',
    query: PublicListTicketsQuery,
    responses: { 200: TicketList, ...problemResponses(400, 401, 403, 502, 503, 504) },
  }),
  startTicket: defineEndpoint({
    method: 'POST',
    path: '/api/kitchen/tickets/:ticketId/start',
    summary: 'Start preparing a queued ticket (kitchen, admin)',
    params: TicketParams,
    responses: { 200: Ticket, ...problemResponses(400, 401, 403, 404, 409, 502, 503, 504) },
  }),
  markTicketReady: defineEndpoint({
    method: 'POST',
    path: '/api/kitchen/tickets/:ticketId/ready',
    summary: 'Mark a ticket in preparation as ready (kitchen, admin)',
    params: TicketParams,
    responses: { 200: Ticket, ...problemResponses(400, 401, 403, 404, 409, 502, 503, 504) },
  }),
  setStock: defineEndpoint({
    method: 'PUT',
    path: '/api/kitchen/stock/:menuItemId',
    summary: 'Set the portions left of a dish (kitchen, admin)',
    params: StockParams,
    body: SetStockRequest,
    responses: { 200: StockLevel, ...problemResponses(400, 401, 403, 502, 503, 504) },
  }),
  liveness: defineEndpoint({
    method: 'GET',
    path: '/healthz',
    summary: 'Liveness: the process answers',
    responses: { 200: HealthStatus },
  }),
  readiness: defineEndpoint({
    method: 'GET',
    path: '/readyz',
    summary: 'Readiness: the order, payment and kitchen services answer their own readiness',
    responses: { 200: HealthStatus, 503: HealthStatus },
  }),
};
