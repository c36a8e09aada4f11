import { z } from 'zod';
import { Cents, Currency, FreeText, MenuItemId, ResourceId, Timestamp } from './common.js';

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
  quantity: z.int().min(1).max(20),
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
  name: z.string(),
  quantity: z.int().min(1),
  unitPriceCents: Cents,
  lineTotalCents: Cents,
});
export type OrderLine = z.infer<typeof OrderLine>;

/** An order as the order service keeps it. */
export const Order = z.object({
  id: ResourceId,
  number: z.int().min(1),
  customerId: z.string(),
  status: OrderStatus,
  items: z.array(OrderLine).min(1),
  totalCents: Cents,
  currency: Currency,
  notes: z.string().nullable(),
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
  items: z.array(Order),
  nextCursor: z.string().nullable(),
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
