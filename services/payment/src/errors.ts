import { type Payment, problemTypes } from '@cheesecake/contracts';
import { ProblemError } from '@cheesecake/service-kit';

export class PaymentNotFoundError extends ProblemError {
  constructor(paymentId: string) {
    super(problemTypes.paymentNotFound, `Payment ${paymentId} does not exist`);
  }
}

export class PaymentNotRefundableError extends ProblemError {
  constructor(payment: Payment) {
    super(
      problemTypes.invalidPaymentState,
      `Payment ${payment.id} is ${payment.status}; only a captured payment can be refunded`,
    );
  }
}
