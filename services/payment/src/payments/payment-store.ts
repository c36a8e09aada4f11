import type { DeclineCode, Payment, PaymentMethod, PaymentStatus } from '@cheesecake/contracts';
import { lockClause, type Queryable, type ReadOptions } from '@cheesecake/service-kit';
import { type InitialPaymentStatus, paymentTransitions } from './payment-lifecycle.js';

/** A charge attempt about to be stored, with what identifies the request that made it. */
export interface NewPayment {
  id: string;
  orderId: string;
  idempotencyKey: string;
  requestFingerprint: string;
  paymentMethod: PaymentMethod;
  amountCents: number;
  currency: string;
  status: InitialPaymentStatus;
  declineCode: DeclineCode | null;
}

/** A stored payment together with the fingerprint of the charge request that created it. */
export interface KeyedPayment {
  payment: Payment;
  requestFingerprint: string;
}

interface PaymentRow {
  id: string;
  order_id: string;
  request_fingerprint: string;
  // bigint columns arrive as a string (pg) or a bigint (PGlite).
  amount_cents: string | number | bigint;
  currency: string;
  status: PaymentStatus;
  decline_code: DeclineCode | null;
  created_at: Date;
  refunded_at: Date | null;
}

function toPayment(row: PaymentRow): Payment {
  return {
    id: row.id,
    orderId: row.order_id,
    amountCents: Number(row.amount_cents),
    currency: row.currency,
    status: row.status,
    declineCode: row.decline_code,
    createdAt: row.created_at.toISOString(),
    refundedAt: row.refunded_at?.toISOString() ?? null,
  };
}

/**
 * Stores a charge attempt unless it conflicts with a stored one: the same idempotency key,
 * or a second capture of the same order. Answers the stored payment, or undefined on conflict.
 */
export async function insertPaymentUnlessConflicting(
  db: Queryable,
  payment: NewPayment,
): Promise<Payment | undefined> {
  const [row] = await db.query<PaymentRow>(
    `insert into payments (id, order_id, idempotency_key, request_fingerprint, payment_method,
                           amount_cents, currency, status, decline_code)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     on conflict do nothing
     returning *`,
    [
      payment.id,
      payment.orderId,
      payment.idempotencyKey,
      payment.requestFingerprint,
      payment.paymentMethod,
      payment.amountCents,
      payment.currency,
      payment.status,
      payment.declineCode,
    ],
  );
  return row && toPayment(row);
}

export async function findPaymentByIdempotencyKey(
  db: Queryable,
  idempotencyKey: string,
): Promise<KeyedPayment | undefined> {
  const [row] = await db.query<PaymentRow>('select * from payments where idempotency_key = $1', [
    idempotencyKey,
  ]);
  return row ? { payment: toPayment(row), requestFingerprint: row.request_fingerprint } : undefined;
}

/** The order's one capture, whether it is still captured or refunded since. */
export async function findCaptureOfOrder(
  db: Queryable,
  orderId: string,
): Promise<Payment | undefined> {
  const [row] = await db.query<PaymentRow>(
    `select * from payments where order_id = $1 and status <> 'DECLINED'`,
    [orderId],
  );
  return row && toPayment(row);
}

/** One payment; with `lock`, locked until the transaction ends, so two refunds take turns. */
export async function findPayment(
  db: Queryable,
  paymentId: string,
  options: ReadOptions = {},
): Promise<Payment | undefined> {
  const [row] = await db.query<PaymentRow>(
    `select * from payments where id = $1${lockClause(options)}`,
    [paymentId],
  );
  return row && toPayment(row);
}

/** Refunds a payment the caller locked and found refundable. */
export async function markPaymentRefunded(tx: Queryable, paymentId: string): Promise<Payment> {
  const { from, to } = paymentTransitions.refund;
  const [row] = await tx.query<PaymentRow>(
    `update payments set status = $2, refunded_at = now()
     where id = $1 and status = any($3::text[])
     returning *`,
    [paymentId, to, from],
  );
  if (!row) throw new Error(`Payment ${paymentId} changed or vanished while it was locked`);
  return toPayment(row);
}

/** Every payment of an order, oldest first. */
export async function listPaymentsOfOrder(db: Queryable, orderId: string): Promise<Payment[]> {
  const rows = await db.query<PaymentRow>(
    'select * from payments where order_id = $1 order by created_at, id',
    [orderId],
  );
  return rows.map(toPayment);
}
