import {
  type ChargeRequest,
  type CreateTicketRequest,
  kitchenApi,
  type Payment,
  ProblemError,
  paymentApi,
  problemTypes,
  type Ticket,
} from '@cheesecake/contracts';
import { type Caller, handle, newId, requireService } from '@cheesecake/service-kit';
import { failingUrl, type RunningServer, startStubService } from '@cheesecake/service-kit/testing';

/** A payment service on a real port: the charge and refund rules of its contract, in memory. */
export interface PaymentStub extends RunningServer {
  payments: Payment[];
  charges: Array<{ idempotencyKey: string; body: ChargeRequest; caller: Caller }>;
  refunds: string[];
}

export async function startPaymentStub(
  options: { beforeAnswer?: (charge: ChargeRequest) => Promise<void> } = {},
): Promise<PaymentStub> {
  const payments: Payment[] = [];
  const charges: PaymentStub['charges'] = [];
  const refunds: string[] = [];
  const keys = new Map<string, { fingerprint: string; payment: Payment }>();

  const server = await startStubService('payment', (router) => {
    handle(router, paymentApi.charge, async ({ headers, body }, { caller }) => {
      requireService(caller, ['order']);
      const idempotencyKey = headers['idempotency-key'];
      charges.push({ idempotencyKey, body, caller });
      await options.beforeAnswer?.(body);

      const fingerprint = JSON.stringify(body);
      const earlier = keys.get(idempotencyKey);
      if (earlier) {
        if (earlier.fingerprint !== fingerprint) {
          throw new ProblemError(problemTypes.idempotencyKeyReused, 'another body under this key');
        }
        return { status: 200, body: earlier.payment };
      }
      const captured = payments.find((p) => p.orderId === body.orderId && p.status !== 'DECLINED');
      if (captured) return { status: 200, body: captured };

      const declineCode =
        body.paymentMethod === 'tok_chargeDeclined'
          ? 'card_declined'
          : body.paymentMethod === 'tok_insufficientFunds'
            ? 'insufficient_funds'
            : null;
      const payment: Payment = {
        id: newId('pay'),
        orderId: body.orderId,
        amountCents: body.amountCents,
        currency: body.currency,
        status: declineCode ? 'DECLINED' : 'CAPTURED',
        declineCode,
        createdAt: new Date().toISOString(),
        refundedAt: null,
      };
      payments.push(payment);
      keys.set(idempotencyKey, { fingerprint, payment });
      return { status: 201, body: payment };
    });

    handle(router, paymentApi.listPayments, async ({ query }) => ({
      status: 200,
      body: { items: payments.filter((p) => p.orderId === query.orderId) },
    }));

    handle(router, paymentApi.refundPayment, async ({ params }, { caller }) => {
      requireService(caller, ['order']);
      const payment = payments.find((p) => p.id === params.paymentId);
      if (!payment) throw new ProblemError(problemTypes.paymentNotFound, 'no such payment');
      if (payment.status === 'DECLINED') {
        throw new ProblemError(problemTypes.invalidPaymentState, 'a declined payment');
      }
      refunds.push(payment.id);
      if (payment.status === 'CAPTURED') {
        payment.status = 'REFUNDED';
        payment.refundedAt = new Date().toISOString();
      }
      return { status: 200, body: payment };
    });
  });
  return { ...server, payments, charges, refunds };
}

/** How the kitchen stub answers a new ticket and a cancellation. */
export interface KitchenBehaviour {
  /** `accept` answers 201 (200 for a repeat), `refuse` a 400 problem, `fail` a 500. */
  createTicket?: 'accept' | 'refuse' | 'fail';
  /** `cancel` answers 200 with a cancelled ticket, `refuse` 409 as once preparation has started. */
  cancelTicket?: 'cancel' | 'refuse';
}

/**
 * A kitchen service on a real port that records the tickets and cancellations it receives.
 * It reads its behaviour on every request, so a test may change it between two.
 */
export interface KitchenStub extends RunningServer {
  tickets: Array<{ body: CreateTicketRequest; requestId: string; caller: Caller }>;
  cancellations: Array<{ orderId: string; orderNumber: number; caller: Caller }>;
  /** The ticket it created for each order, by order id. */
  created: Map<string, Ticket>;
}

export async function startKitchenStub(behaviour: KitchenBehaviour = {}): Promise<KitchenStub> {
  const tickets: KitchenStub['tickets'] = [];
  const cancellations: KitchenStub['cancellations'] = [];
  const created = new Map<string, Ticket>();

  const server = await startStubService('kitchen', (router) => {
    handle(router, kitchenApi.createTicket, async ({ body }, { caller, requestId }) => {
      requireService(caller, ['order']);
      tickets.push({ body, requestId, caller });
      if (behaviour.createTicket === 'refuse') {
        throw new ProblemError(problemTypes.validation, 'the stub refuses this ticket');
      }
      if (behaviour.createTicket === 'fail') throw new Error('the stub kitchen is on fire');
      const existing = created.get(body.orderId);
      if (existing) return { status: 200, body: existing };
      const ticket = ticketFor(body.orderId, body.orderNumber, 'QUEUED', body);
      created.set(body.orderId, ticket);
      return { status: 201, body: ticket };
    });

    handle(router, kitchenApi.cancelTicketForOrder, async ({ params, body }, { caller }) => {
      requireService(caller, ['order']);
      cancellations.push({ orderId: params.orderId, orderNumber: body.orderNumber, caller });
      if (behaviour.cancelTicket === 'refuse') {
        throw new ProblemError(problemTypes.invalidTicketState, 'preparation has started');
      }
      return { status: 200, body: ticketFor(params.orderId, body.orderNumber, 'CANCELLED') };
    });
  });
  return { ...server, tickets, cancellations, created };
}

function ticketFor(
  orderId: string,
  orderNumber: number,
  status: Ticket['status'],
  request?: CreateTicketRequest,
): Ticket {
  const now = new Date().toISOString();
  return {
    id: newId('tkt'),
    orderId,
    orderNumber,
    status,
    items: request?.items ?? [],
    notes: request?.notes ?? null,
    rejectionReason: null,
    createdAt: now,
    updatedAt: now,
  };
}

/** A URL nothing listens on, so a call there is refused. */
export async function unreachableUrl(): Promise<string> {
  return (await failingUrl('refused', 'nothing')).url;
}
