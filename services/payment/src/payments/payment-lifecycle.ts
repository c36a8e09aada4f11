import type { Payment, PaymentStatus } from '@cheesecake/contracts';
import { nextStatus, type ProblemError, type Transition } from '@cheesecake/service-kit';
import { PaymentNotRefundableError } from '../errors.js';

/** The statuses a charge attempt is stored in, by the card network's verdict. */
export const initialPaymentStatuses = {
  captured: 'CAPTURED',
  declined: 'DECLINED',
} as const satisfies Record<string, PaymentStatus>;

export type InitialPaymentStatus =
  (typeof initialPaymentStatuses)[keyof typeof initialPaymentStatuses];

/**
 * What may happen to a stored payment, in which statuses, and the status it leads to. The
 * refund use case asks {@link statusAfter}; the store's status guard comes from here.
 */
export const paymentTransitions = {
  refund: { from: ['CAPTURED'], to: 'REFUNDED', idempotent: true },
} as const satisfies Record<string, Transition<PaymentStatus>>;

/** Something that may happen to a payment: a row of {@link paymentTransitions}. */
export type PaymentTransitionName = keyof typeof paymentTransitions;

const refusalOf = {
  refund: (payment) => new PaymentNotRefundableError(payment),
} as const satisfies Record<PaymentTransitionName, (payment: Payment) => ProblemError>;

/**
 * The status transition `name` leaves the payment in (see `nextStatus`); throws the
 * transition's refusal when it may not happen now.
 */
export function statusAfter(payment: Payment, name: PaymentTransitionName): PaymentStatus {
  const next = nextStatus<PaymentStatus>(paymentTransitions[name], payment.status);
  if (next === undefined) throw refusalOf[name](payment);
  return next;
}
