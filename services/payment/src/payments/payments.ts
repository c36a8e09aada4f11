import type { ChargeRequest, DeclineCode, Payment, PaymentMethod } from '@cheesecake/contracts';
import {
  annotateSpan,
  type Counter,
  type Database,
  fingerprintOf,
  IdempotencyKeyReusedError,
  newId,
  type Queryable,
  type ServiceMetrics,
} from '@cheesecake/service-kit';
import { PaymentNotFoundError } from '../errors.js';
import { statusAfter } from './payment-lifecycle.js';
import {
  findCaptureOfOrder,
  findPayment,
  findPaymentByIdempotencyKey,
  insertPaymentUnlessConflicting,
  listPaymentsOfOrder,
  markPaymentRefunded,
} from './payment-store.js';

/** What a charge answers: the payment, and whether this request created it. */
export interface ChargeOutcome {
  payment: Payment;
  created: boolean;
}

type CardVerdict =
  | { status: 'CAPTURED'; declineCode: null }
  | { status: 'DECLINED'; declineCode: DeclineCode };

/** The test card network: each test token always gets the same verdict. */
const verdictByToken: Record<PaymentMethod, CardVerdict> = {
  tok_visa: { status: 'CAPTURED', declineCode: null },
  tok_chargeDeclined: { status: 'DECLINED', declineCode: 'card_declined' },
  tok_insufficientFunds: { status: 'DECLINED', declineCode: 'insufficient_funds' },
};

/**
 * Identifies a charge request by its content. Stored with each payment, so these fields stay
 * in this order: any change would turn the retry of a stored charge into a 422.
 */
export function chargeFingerprint(request: ChargeRequest): string {
  return fingerprintOf([
    request.orderId,
    request.amountCents,
    request.currency,
    request.paymentMethod,
  ]);
}

/** What became of a charge or a refund, as `payment_outcomes_total` counts it. */
export type PaymentOutcome = 'captured' | 'declined' | 'refunded';

/**
 * `payment_outcomes_total{outcome}`: charges captured and declined, payments refunded. A
 * replayed answer is not counted again. Every outcome starts at 0, so it is there to graph.
 */
export function paymentOutcomeCounter(metrics: ServiceMetrics): Counter<'outcome'> {
  const counter = metrics.counter({
    name: 'payment_outcomes_total',
    help: 'Charges captured and declined, and payments refunded, each counted once',
    labelNames: ['outcome'],
  });
  for (const outcome of ['captured', 'declined', 'refunded'] satisfies PaymentOutcome[]) {
    counter.inc({ outcome }, 0);
  }
  return counter;
}

/** Charges and refunds: each order is captured at most once, however often it is charged. */
export class Payments {
  readonly #db: Database;
  readonly #outcomes: Counter<'outcome'> | undefined;

  constructor(db: Database, outcomes?: Counter<'outcome'>) {
    this.#db = db;
    this.#outcomes = outcomes;
  }

  /**
   * Charges the card for an order. A retry with the same idempotency key gets the first
   * answer again; a charge for an order that was already captured gets that capture.
   * Declines are recorded too, so the order may be charged again with another key.
   */
  async charge(request: ChargeRequest, idempotencyKey: string): Promise<ChargeOutcome> {
    const outcome = await this.#settle(request, idempotencyKey);
    annotateSpan({
      'cheesecake.order.id': request.orderId,
      'cheesecake.payment.id': outcome.payment.id,
      'cheesecake.payment.status': outcome.payment.status,
    });
    // Counted once committed, and only by the request that made the payment.
    if (outcome.created)
      this.#count(outcome.payment.status === 'CAPTURED' ? 'captured' : 'declined');
    return outcome;
  }

  async #settle(request: ChargeRequest, idempotencyKey: string): Promise<ChargeOutcome> {
    const requestFingerprint = chargeFingerprint(request);
    return this.#db.transaction(async (tx) => {
      const earlier = await findEarlierAnswer(tx, request, idempotencyKey, requestFingerprint);
      if (earlier) return { payment: earlier, created: false };

      const verdict = verdictByToken[request.paymentMethod];
      const inserted = await insertPaymentUnlessConflicting(tx, {
        id: newId('pay'),
        orderId: request.orderId,
        idempotencyKey,
        requestFingerprint,
        paymentMethod: request.paymentMethod,
        amountCents: request.amountCents,
        currency: request.currency,
        ...verdict,
      });
      if (inserted) return { payment: inserted, created: true };

      // A concurrent charge with this key, or capturing this order, committed between our
      // check and our insert: its payment is the answer.
      const winner = await findEarlierAnswer(tx, request, idempotencyKey, requestFingerprint);
      if (!winner) throw new Error('A charge conflicted with a payment that cannot be found');
      return { payment: winner, created: false };
    });
  }

  /** Refunds a captured payment; refunding it again answers the same refund. */
  async refund(paymentId: string): Promise<Payment> {
    const { payment, refunded } = await this.#db.transaction(async (tx) => {
      const found = await findPayment(tx, paymentId, { lock: true });
      if (!found) throw new PaymentNotFoundError(paymentId);
      const refundedAlready = statusAfter(found, 'refund') === found.status;
      if (refundedAlready) return { payment: found, refunded: false };
      return { payment: await markPaymentRefunded(tx, paymentId), refunded: true };
    });
    if (refunded) this.#count('refunded');
    return payment;
  }

  #count(outcome: PaymentOutcome): void {
    this.#outcomes?.inc({ outcome });
  }

  async get(paymentId: string): Promise<Payment> {
    const payment = await findPayment(this.#db, paymentId);
    if (!payment) throw new PaymentNotFoundError(paymentId);
    return payment;
  }

  /** Every charge attempt of an order, oldest first. */
  async listForOrder(orderId: string): Promise<Payment[]> {
    return listPaymentsOfOrder(this.#db, orderId);
  }
}

/**
 * The payment an earlier charge already settled this request with: the one made with the
 * same idempotency key (refused if that key came with another body), else the order's capture.
 */
async function findEarlierAnswer(
  tx: Queryable,
  request: ChargeRequest,
  idempotencyKey: string,
  requestFingerprint: string,
): Promise<Payment | undefined> {
  const sameKey = await findPaymentByIdempotencyKey(tx, idempotencyKey);
  if (sameKey) {
    if (sameKey.requestFingerprint !== requestFingerprint) {
      throw new IdempotencyKeyReusedError(
        `Idempotency key ${idempotencyKey} was already used for a different charge`,
      );
    }
    return sameKey.payment;
  }
  return findCaptureOfOrder(tx, request.orderId);
}
