import { defineEndpoint } from './endpoint.js';
import {
  CancelTicketRequest,
  CreateTicketRequest,
  ListTicketsQuery,
  SetStockRequest,
  StockLevel,
  StockList,
  StockParams,
  Ticket,
  TicketList,
  TicketParams,
} from './kitchen.js';
import { OrderParams } from './orders.js';
import { problemResponses } from './problem.js';

/** The kitchen service's internal API (port 3003): tickets, stock and preparation. */
export const kitchenApi = {
  createTicket: defineEndpoint({
    method: 'POST',
    path: '/tickets',
    summary:
      'Queue a ticket for a paid order (REJECTED when stock is short); 200 with the existing ticket when the order already has one',
    body: CreateTicketRequest,
    responses: { 201: Ticket, 200: Ticket, ...problemResponses(400, 401, 403) },
  }),
  listTickets: defineEndpoint({
    method: 'GET',
    path: '/tickets',
    summary: 'Tickets, oldest first, optionally by status or order',
    access: ['kitchen', 'admin'],
    query: ListTicketsQuery,
    responses: { 200: TicketList, ...problemResponses(400, 401, 403) },
  }),
  getTicket: defineEndpoint({
    method: 'GET',
    path: '/tickets/:ticketId',
    summary: 'One ticket',
    access: ['kitchen', 'admin'],
    params: TicketParams,
    responses: { 200: Ticket, ...problemResponses(400, 401, 403, 404) },
  }),
  startTicket: defineEndpoint({
    method: 'POST',
    path: '/tickets/:ticketId/start',
    summary: 'Start preparing a queued ticket',
    access: ['kitchen', 'admin'],
    params: TicketParams,
    responses: { 200: Ticket, ...problemResponses(400, 401, 403, 404, 409) },
  }),
  markTicketReady: defineEndpoint({
    method: 'POST',
    path: '/tickets/:ticketId/ready',
    summary: 'Mark a ticket in preparation as ready',
    access: ['kitchen', 'admin'],
    params: TicketParams,
    responses: { 200: Ticket, ...problemResponses(400, 401, 403, 404, 409) },
  }),
  cancelTicketForOrder: defineEndpoint({
    method: 'POST',
    path: '/tickets/by-order/:orderId/cancel',
    summary:
      "Cancel an order's ticket while it is still queued; when the ticket has not arrived yet, it will arrive cancelled",
    params: OrderParams,
    body: CancelTicketRequest,
    responses: { 200: Ticket, ...problemResponses(400, 401, 403, 409) },
  }),
  listStock: defineEndpoint({
    method: 'GET',
    path: '/stock',
    summary: 'Portions left of every dish',
    access: ['kitchen', 'admin'],
    responses: { 200: StockList, ...problemResponses(401, 403) },
  }),
  setStock: defineEndpoint({
    method: 'PUT',
    path: '/stock/:menuItemId',
    summary: 'Set the portions left of a dish',
    access: ['kitchen', 'admin'],
    params: StockParams,
    body: SetStockRequest,
    responses: { 200: StockLevel, ...problemResponses(400, 401, 403, 404) },
  }),
};
