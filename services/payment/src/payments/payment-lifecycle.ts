import type { Payment, PaymentStatus, ProblemError } from '@cheesecake/contracts';
import type { Transition } from '@cheesecake/service-kit';
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
export type PaymentEvent = keyof typeof paymentTransitions;

const refusalOf = {
  refund: (payment) => new PaymentNotRefundableError(payment),
} as const satisfies Record<PaymentEvent, (payment: Payment) => ProblemError>;

/**
 * The status `event` leaves the payment in: the transition's `to`, or the status it has when
 * an idempotent event already happened. Throws the event's refusal when it may not happen.
 */
export function statusAfter(payment: Payment, event: PaymentEvent): PaymentStatus {
  const transition: Transition<PaymentStatus> = paymentTransitions[event];
  if (transition.from.includes(payment.status)) return transition.to;
  if (transition.idempotent && payment.status === transition.to) return payment.status;
  throw refusalOf[event](payment);
}
