import { z } from 'zod';
import { Cents, Currency, FreeText, MenuItemId, ResourceId, Timestamp } from './common.js';
import { TicketStatus } from './kitchen.js';

/** Where an order stands. Transitions only move forward. */
export const OrderStatus = z.enum([
  'PENDING_PAYMENT',
  'PAID',
  'PREPARING',
  'READY',
  'CANCELLED',
  'REJECTED',
]);
export type OrderStatus = z.infer<typeof OrderStatus>;

/** Statuses an order never leaves. */
export const FINAL_ORDER_STATUSES: readonly OrderStatus[] = ['READY', 'CANCELLED', 'REJECTED'];

/** One line of a new order: which dish and how many. */
export const OrderLineRequest = z.strictObject({
  menuItemId: MenuItemId,
  quantity: z.int32().min(1).max(20),
});
export type OrderLineRequest = z.infer<typeof OrderLineRequest>;

/** The body of `POST /orders`. Prices come from the menu, never from the client. */
export const CreateOrderRequest = z.strictObject({
  items: z.array(OrderLineRequest).min(1).max(20),
  notes: FreeText(500).optional(),
});
export type CreateOrderRequest = z.infer<typeof CreateOrderRequest>;

/** One priced line of an order. */
export const OrderLine = z.object({
  menuItemId: MenuItemId,
  name: z.string().max(100),
  quantity: z.int32().min(1).max(20),
  unitPriceCents: Cents,
  lineTotalCents: Cents,
});
export type OrderLine = z.infer<typeof OrderLine>;

/** An order as the order service keeps it. */
export const Order = z.object({
  id: ResourceId,
  number: z.int32().min(1),
  customerId: z.string().max(64),
  status: OrderStatus,
  items: z.array(OrderLine).min(1).max(20),
  totalCents: Cents,
  currency: Currency,
  notes: z.string().max(500).nullable(),
  paymentId: ResourceId.nullable(),
  ticketId: ResourceId.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Order = z.infer<typeof Order>;

/** The query of `GET /orders`: a page size, the cursor of the previous page, a status filter. */
export const ListOrdersQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(200).optional(),
  status: OrderStatus.optional(),
});
export type ListOrdersQuery = z.infer<typeof ListOrdersQuery>;

/** A page of orders, newest first; `nextCursor` is null on the last page. */
export const OrderPage = z.object({
  items: z.array(Order).max(100),
  nextCursor: z.string().max(200).nullable(),
});
export type OrderPage = z.infer<typeof OrderPage>;

/** The test payment tokens the payment service understands. */
export const PaymentMethod = z.enum(['tok_visa', 'tok_chargeDeclined', 'tok_insufficientFunds']);
export type PaymentMethod = z.infer<typeof PaymentMethod>;

/** The body of `POST /orders/:orderId/payment`. */
export const PayOrderRequest = z.strictObject({
  paymentMethod: PaymentMethod,
});
export type PayOrderRequest = z.infer<typeof PayOrderRequest>;

/** The path parameters of every route about one order. */
export const OrderParams = z.strictObject({ orderId: ResourceId });
export type OrderParams = z.infer<typeof OrderParams>;

/**
 * A change of an order's status: the `data` of each server-sent event of an order's
 * stream (event name `order.status`, id the change's sequence number), and the message a
 * WebSocket subscriber receives.
 */
export const OrderStatusEvent = z.object({
  type: z.literal('order.status'),
  orderId: ResourceId,
  orderNumber: z.int32().min(1),
  status: OrderStatus,
  /** When the order reached this status. */
  at: Timestamp,
});
export type OrderStatusEvent = z.infer<typeof OrderStatusEvent>;

/** The server-sent event name of an {@link OrderStatusEvent}. */
export const ORDER_STATUS_EVENT = 'order.status';

/**
 * The headers of an order's event stream. `Last-Event-ID`, which an EventSource sends when
 * it reconnects, resumes the stream after that change instead of at the current status.
 */
export const OrderEventsHeaders = z.object({
  'last-event-id': z
    .string()
    .max(15)
    .regex(/^\d{1,15}$/, 'must be the id of an event of this stream')
    .optional(),
});
export type OrderEventsHeaders = z.infer<typeof OrderEventsHeaders>;

/** The kinds of order event: the steps of the order saga its timeline shows. */
export const OrderEventName = z.enum([
  /** The order was placed and priced. */
  'order.placed',
  /** A charge was captured and the order became PAID. */
  'payment.captured',
  /** A charge was declined; the order stays payable. */
  'payment.declined',
  /** An attempt to hand the ticket to the kitchen failed; the outbox retries it. */
  'ticket.delivery-failed',
  /** The kitchen accepted the ticket. */
  'ticket.delivered',
  /** The kitchen reported a new status of the order's ticket. */
  'kitchen.status',
  /** The order was cancelled. */
  'order.cancelled',
  /** A refund of the order's payment was queued for the payment service. */
  'refund.requested',
  /** The payment service refunded the payment. */
  'refund.completed',
]);
export type OrderEventName = z.infer<typeof OrderEventName>;

/** An order event: one step of an order's saga, as it happened (a row of `order_events`). */
export const OrderEvent = z.object({
  step: OrderEventName,
  at: Timestamp,
  /** The order's status once this step was taken. */
  orderStatus: OrderStatus,
  /** What happened, in a sentence. */
  detail: z.string().max(10_000),
  /** The request that caused the step (for outbox deliveries, the request that queued them). */
  requestId: z.string().max(128).nullable(),
  paymentId: ResourceId.optional(),
  ticketId: ResourceId.optional(),
  ticketStatus: TicketStatus.optional(),
  /** The delivery attempt, counting from 1. */
  attempt: z.int32().min(1).optional(),
});
export type OrderEvent = z.infer<typeof OrderEvent>;

/** An order's saga, oldest step first. */
export const OrderTimeline = z.object({
  orderId: ResourceId,
  orderNumber: z.int32().min(1),
  steps: z.array(OrderEvent).max(10_000),
});
export type OrderTimeline = z.infer<typeof OrderTimeline>;
