import { type Payment, PaymentStatus } from '@cheesecake/contracts';
import type { Transition } from '@cheesecake/service-kit';
import { describe, expect, it } from 'vitest';
import { PaymentNotRefundableError } from '../src/errors.js';
import {
  initialPaymentStatuses,
  paymentTransitions,
  statusAfter,
} from '../src/payments/payment-lifecycle.js';

const transitions: Transition<PaymentStatus>[] = Object.values(paymentTransitions);

function paymentIn(status: PaymentStatus): Payment {
  return {
    id: 'pay_1',
    orderId: 'ord_1',
    amountCents: 1200,
    currency: 'EUR',
    status,
    declineCode: status === 'DECLINED' ? 'card_declined' : null,
    createdAt: '2025-01-01T00:00:00.000Z',
    refundedAt: status === 'REFUNDED' ? '2025-01-01T00:05:00.000Z' : null,
  };
}

describe('paymentTransitions', () => {
  it('reaches every status the contract lists, or stores charges in it', () => {
    const reached = new Set<PaymentStatus>([
      ...Object.values(initialPaymentStatuses),
      ...transitions.map((transition) => transition.to),
    ]);

    const unreached = PaymentStatus.options.filter((status) => !reached.has(status));

    expect(unreached).toEqual([]);
  });

  it.each(['DECLINED', 'REFUNDED'] as const)('has no way out of %s', (status) => {
    const leaving = transitions.filter((transition) => transition.from.includes(status));

    expect(leaving).toEqual([]);
  });
});

describe('statusAfter', () => {
  it('answers REFUNDED when a captured payment is refunded', () => {
    const payment = paymentIn('CAPTURED');

    const status = statusAfter(payment, 'refund');

    expect(status).toBe('REFUNDED');
  });

  it('answers the status as it is when a refunded payment is refunded again', () => {
    const payment = paymentIn('REFUNDED');

    const status = statusAfter(payment, 'refund');

    expect(status).toBe('REFUNDED');
  });

  it('throws PaymentNotRefundableError for a move the table does not have', () => {
    const payment = paymentIn('DECLINED');

    const refunding = () => statusAfter(payment, 'refund');

    expect(refunding).toThrow(PaymentNotRefundableError);
    expect(refunding).toThrow('Payment pay_1 is DECLINED; only a captured payment can be refunded');
  });
});
