import { z } from 'zod';
import { MenuItemId, ResourceId, Timestamp } from './common.js';

/** Where a kitchen ticket stands. Transitions only move forward. */
export const TicketStatus = z.enum(['QUEUED', 'PREPARING', 'READY', 'REJECTED', 'CANCELLED']);
export type TicketStatus = z.infer<typeof TicketStatus>;

/** One dish to prepare. */
export const TicketLine = z.object({
  menuItemId: MenuItemId,
  name: z.string().max(100),
  quantity: z.int32().min(1).max(20),
});
export type TicketLine = z.infer<typeof TicketLine>;

/** The order service's "order #123 has been paid: prepare it" message. */
export const CreateTicketRequest = z.strictObject({
  orderId: ResourceId,
  orderNumber: z.int32().min(1),
  items: z.array(TicketLine).min(1).max(20),
  notes: z.string().max(500).nullable(),
});
export type CreateTicketRequest = z.infer<typeof CreateTicketRequest>;

/**
 * The body of a ticket cancellation by order. It names the order number because the
 * cancellation may arrive before the ticket itself, which then arrives cancelled.
 */
export const CancelTicketRequest = z.strictObject({
  orderNumber: z.int32().min(1),
});
export type CancelTicketRequest = z.infer<typeof CancelTicketRequest>;

/** A kitchen ticket: one paid order to prepare. */
export const Ticket = z.object({
  id: ResourceId,
  orderId: ResourceId,
  orderNumber: z.int32().min(1),
  status: TicketStatus,
  items: z.array(TicketLine).max(20),
  notes: z.string().max(500).nullable(),
  rejectionReason: z.string().max(2_000).nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Ticket = z.infer<typeof Ticket>;

/** A list of tickets, oldest first. */
export const TicketList = z.object({
  items: z.array(Ticket).max(10_000),
});
export type TicketList = z.infer<typeof TicketList>;

/** The query of `GET /tickets`. */
export const ListTicketsQuery = z.strictObject({
  status: TicketStatus.optional(),
  orderId: ResourceId.optional(),
});
export type ListTicketsQuery = z.infer<typeof ListTicketsQuery>;

/** The path parameters of routes about one ticket. */
export const TicketParams = z.strictObject({ ticketId: ResourceId });
export type TicketParams = z.infer<typeof TicketParams>;

/** How many portions of a dish the kitchen has left. */
export const StockLevel = z.object({
  menuItemId: MenuItemId,
  quantity: z.int32().min(0).max(100_000),
});
export type StockLevel = z.infer<typeof StockLevel>;

/** The body of `PUT /stock/:menuItemId`. */
export const SetStockRequest = z.strictObject({
  quantity: z.int32().min(0).max(100_000),
});
export type SetStockRequest = z.infer<typeof SetStockRequest>;

/** The path parameters of `PUT /stock/:menuItemId`. */
export const StockParams = z.strictObject({ menuItemId: MenuItemId });
export type StockParams = z.infer<typeof StockParams>;

/** All stock levels. */
export const StockList = z.object({
  items: z.array(StockLevel).max(1_000),
});
export type StockList = z.infer<typeof StockList>;

/** The kitchen's report of a ticket status change, delivered to the order service. */
export const TicketStatusReport = z.strictObject({
  ticketId: ResourceId,
  orderId: ResourceId,
  status: TicketStatus,
  reason: z.string().max(2_000).nullable(),
  occurredAt: Timestamp,
});
export type TicketStatusReport = z.infer<typeof TicketStatusReport>;

/** The order service's answer to a status report: whether it changed the order. */
export const TicketStatusReportAck = z.object({
  applied: z.boolean(),
});
export type TicketStatusReportAck = z.infer<typeof TicketStatusReportAck>;

/**
 * The kitchen's report of a dish's stock after a change, delivered to the order service.
 * `version` counts the dish's changes, so the newest report wins whatever order they arrive in.
 */
export const StockLevelReport = z.strictObject({
  menuItemId: MenuItemId,
  quantity: z.int32().min(0).max(100_000),
  version: z.int32().min(1),
});
export type StockLevelReport = z.infer<typeof StockLevelReport>;

/** The order service's answer to a stock report: whether it was newer than what it had. */
export const StockLevelReportAck = z.object({
  applied: z.boolean(),
});
export type StockLevelReportAck = z.infer<typeof StockLevelReportAck>;
