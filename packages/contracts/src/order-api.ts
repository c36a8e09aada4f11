import { IdempotencyHeaders, NoContent } from './common.js';
import { defineEndpoint } from './endpoint.js';
import {
  StockLevelReport,
  StockLevelReportAck,
  TicketStatusReport,
  TicketStatusReportAck,
} from './kitchen.js';
import { Menu } from './menu.js';
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
import { problemResponses } from './problem.js';

/** The order service's internal API (port 3001): the menu, orders and the order saga. */
export const orderApi = {
  getMenu: defineEndpoint({
    method: 'GET',
    path: '/menu',
    summary: 'The menu with prices and availability',
    responses: { 200: Menu, ...problemResponses(401) },
  }),
  createOrder: defineEndpoint({
    method: 'POST',
    path: '/orders',
    summary: 'Price the items from the menu and store the order as PENDING_PAYMENT',
    access: ['customer'],
    body: CreateOrderRequest,
    headers: IdempotencyHeaders,
    responses: { 201: Order, ...problemResponses(400, 401, 403, 409, 422) },
  }),
  listOrders: defineEndpoint({
    method: 'GET',
    path: '/orders',
    summary: "A page of orders, newest first: a customer's own, or all for the kitchen and admins",
    access: ['customer', 'kitchen', 'admin'],
    query: ListOrdersQuery,
    responses: { 200: OrderPage, ...problemResponses(400, 401, 403) },
  }),
  getOrder: defineEndpoint({
    method: 'GET',
    path: '/orders/:orderId',
    summary: "One order; someone else's order is answered 404",
    access: ['customer', 'kitchen', 'admin'],
    params: OrderParams,
    responses: { 200: Order, ...problemResponses(400, 401, 403, 404) },
  }),
  payOrder: defineEndpoint({
    method: 'POST',
    path: '/orders/:orderId/payment',
    summary:
      'Charge the order through the payment service; captured makes it PAID, declined answers 402',
    access: ['customer'],
    params: OrderParams,
    body: PayOrderRequest,
    headers: IdempotencyHeaders,
    responses: {
      200: Order,
      ...problemResponses(400, 401, 402, 403, 404, 409, 422, 502, 503, 504),
    },
  }),
  cancelOrder: defineEndpoint({
    method: 'POST',
    path: '/orders/:orderId/cancel',
    summary: 'Cancel an unpaid order, or a paid one whose ticket is still queued (refunding it)',
    access: ['customer'],
    params: OrderParams,
    headers: IdempotencyHeaders,
    responses: { 200: Order, ...problemResponses(400, 401, 403, 404, 409, 422, 502, 503, 504) },
  }),
  getTimeline: defineEndpoint({
    method: 'GET',
    path: '/orders/:orderId/timeline',
    summary: 'The saga of one order as it happened, oldest step first',
    access: ['customer', 'kitchen', 'admin'],
    params: OrderParams,
    responses: { 200: OrderTimeline, ...problemResponses(400, 401, 403, 404) },
  }),
  streamOrderEvents: defineEndpoint({
    method: 'GET',
    path: '/orders/:orderId/events',
    summary:
      'Server-sent events of one order: its current status (or every change after Last-Event-ID), then each change, ending at a final status',
    access: ['customer', 'kitchen', 'admin'],
    params: OrderParams,
    headers: OrderEventsHeaders,
    eventStream: true,
    responses: {
      200: OrderStatusEvent,
      // Resumed after the final status: nothing more will come, so an EventSource stops.
      204: NoContent,
      ...problemResponses(400, 401, 403, 404),
    },
  }),
  streamAllOrderEvents: defineEndpoint({
    method: 'GET',
    path: '/order-events',
    summary:
      "Server-sent events of every order's status changes from now on (or after Last-Event-ID), for the kitchen and admins",
    access: ['kitchen', 'admin'],
    headers: OrderEventsHeaders,
    eventStream: true,
    responses: { 200: OrderStatusEvent, ...problemResponses(400, 401, 403) },
  }),
  reportTicketStatus: defineEndpoint({
    method: 'POST',
    path: '/ticket-status-reports',
    summary: "The kitchen's report of a ticket status change, applied forward-only",
    body: TicketStatusReport,
    responses: { 200: TicketStatusReportAck, ...problemResponses(400, 401, 403, 404) },
  }),
  reportStockLevel: defineEndpoint({
    method: 'POST',
    path: '/stock-level-reports',
    summary: "The kitchen's report of a dish's stock, which the menu's availability follows",
    body: StockLevelReport,
    responses: { 200: StockLevelReportAck, ...problemResponses(400, 401, 403, 404) },
  }),
};
