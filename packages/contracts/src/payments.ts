import { z } from 'zod';
import { Cents, Currency, IdempotencyKey, ResourceId, Timestamp } from './common.js';
import { PaymentMethod } from './orders.js';

/** Where a payment stands: captured, declined by the card, or refunded after capture. */
export const PaymentStatus = z.enum(['CAPTURED', 'DECLINED', 'REFUNDED']);
export type PaymentStatus = z.infer<typeof PaymentStatus>;

/** Why a card was declined. */
export const DeclineCode = z.enum(['card_declined', 'insufficient_funds']);
export type DeclineCode = z.infer<typeof DeclineCode>;

/** One charge attempt for an order and, once refunded, its refund. */
export const Payment = z.object({
  id: ResourceId,
  orderId: ResourceId,
  amountCents: Cents,
  currency: Currency,
  status: PaymentStatus,
  declineCode: DeclineCode.nullable(),
  createdAt: Timestamp,
  refundedAt: Timestamp.nullable(),
});
export type Payment = z.infer<typeof Payment>;

/** The body of the payment service's `POST /payments`. */
export const ChargeRequest = z.strictObject({
  orderId: ResourceId,
  amountCents: z.int32().min(1),
  currency: Currency,
  paymentMethod: PaymentMethod,
});
export type ChargeRequest = z.infer<typeof ChargeRequest>;

/** A list of payments, oldest first. */
export const PaymentList = z.object({
  items: z.array(Payment),
});
export type PaymentList = z.infer<typeof PaymentList>;

/** The headers of a charge: the idempotency key is required, so a retry never charges twice. */
export const ChargeHeaders = z.looseObject({
  'idempotency-key': IdempotencyKey,
});
