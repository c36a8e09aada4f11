import { createHash } from 'node:crypto';
import {
  type CallContext,
  type Client,
  type CreateOrderRequest,
  type CreateTicketRequest,
  type EndUser,
  type kitchenApi,
  type ListOrdersQuery,
  type Order,
  type OrderPage,
  type OrderStatus,
  type OrderTimeline,
  type Payment,
  type PaymentMethod,
  type Problem,
  type paymentApi,
  type TicketStatus,
  type TicketStatusReport,
  UnexpectedResponseError,
} from '@cheesecake/contracts';
import { type Database, enqueue, newId, type Queryable } from '@cheesecake/service-kit';
import { z } from 'zod';
import { destinations, type RefundPaymentMessage } from './deliverers.js';
import {
  InvalidCursorError,
  InvalidOrderStateError,
  OrderAlreadyPaidError,
  OrderNotFoundError,
  PaymentDeclinedError,
} from './errors.js';
import type { MenuCatalog } from './menu.js';
import { hasKitchenStatus, listOrderEvents, recordOrderEvent } from './order-event-store.js';
import * as store from './order-store.js';
import { sagaSteps } from './saga-steps.js';

/** What the order use cases work with. */
export interface OrderDeps {
  db: Database;
  menu: MenuCatalog;
  payments: Client<typeof paymentApi>;
  kitchen: Client<typeof kitchenApi>;
  /** The outbox relay, woken after a commit that enqueued a message so it goes out at once. */
  outbox: { wake(): void };
}

/**
 * How a ticket status moves the order, and from which statuses. QUEUED moves nothing.
 * CANCELLED normally finds the order cancelled already (it cancels itself right after the
 * kitchen agrees); it moves a PAID order only when that step was lost to a crash or a
 * timeout, so the order cannot stay PAID with its ticket gone.
 */
const orderStatusAfterTicket: Partial<
  Record<TicketStatus, { from: OrderStatus[]; to: OrderStatus }>
> = {
  PREPARING: { from: ['PAID'], to: 'PREPARING' },
  READY: { from: ['PAID', 'PREPARING'], to: 'READY' },
  REJECTED: { from: ['PAID'], to: 'REJECTED' },
  CANCELLED: { from: ['PAID'], to: 'CANCELLED' },
};

/** Order statuses of an order whose payment was captured and kept. */
const PAID_STATUSES: readonly OrderStatus[] = ['PAID', 'PREPARING', 'READY'];

/** Order statuses reached by giving the money back. */
const REFUNDED_STATUSES: readonly OrderStatus[] = ['REJECTED', 'CANCELLED'];

/** The customer's Idempotency-Key of a request, as the order service's idempotency keys saw it. */
export interface CustomerKey {
  key: string;
  /** Whether this request took the key over from an earlier one that stopped before answering. */
  resumed: boolean;
}

/** The order saga: placing, paying and cancelling orders, and following the kitchen. */
export class Orders {
  constructor(private readonly deps: OrderDeps) {}

  /** Stores a new order for the customer, priced from the menu, awaiting payment. */
  async placeOrder(
    customer: EndUser,
    request: CreateOrderRequest,
    requestId?: string,
  ): Promise<Order> {
    const priced = await this.deps.menu.priceLines(request.items);
    return this.deps.db.transaction(async (tx) => {
      const order = await store.insertOrder(tx, {
        id: newId('ord'),
        customerId: customer.id,
        items: priced.lines,
        totalCents: priced.totalCents,
        currency: priced.currency,
        notes: request.notes ?? null,
      });
      await recordOrderEvent(tx, sagaSteps.placed(order, requestId));
      return order;
    });
  }

  /** A page of orders, newest first: a customer's own, or everyone's for the kitchen and admins. */
  async listOrders(user: EndUser, query: ListOrdersQuery): Promise<OrderPage> {
    const orders = await store.listOrders(this.deps.db, {
      customerId: user.role === 'customer' ? user.id : undefined,
      status: query.status,
      beforeNumber: query.cursor === undefined ? undefined : readCursor(query.cursor),
      // One more than asked tells whether there is a next page.
      limit: query.limit + 1,
    });
    const items = orders.slice(0, query.limit);
    const last = items.at(-1);
    return { items, nextCursor: orders.length > query.limit && last ? cursorAfter(last) : null };
  }

  /** The saga of an order as it happened, oldest step first, for whoever may see the order. */
  async getTimeline(user: EndUser, orderId: string): Promise<OrderTimeline> {
    const order = await this.getOrder(user, orderId);
    return {
      orderId: order.id,
      orderNumber: order.number,
      steps: await listOrderEvents(this.deps.db, order.id),
    };
  }

  /** One order, for its owner, the kitchen or an admin. */
  async getOrder(user: EndUser, orderId: string): Promise<Order> {
    const order = await store.findOrder(this.deps.db, orderId);
    if (!order || (user.role === 'customer' && order.customerId !== user.id)) {
      throw new OrderNotFoundError(orderId);
    }
    return order;
  }

  /**
   * Charges the order. Captured: the order is PAID and the kitchen is told to prepare it.
   * Declined: the order stays payable and the next attempt gets a new idempotency key.
   * An order no longer awaiting payment is refused (409) before anything is charged.
   * `idempotency` is the customer's Idempotency-Key, which keys the charge, when given.
   */
  async payOrder(
    customer: EndUser,
    orderId: string,
    paymentMethod: PaymentMethod,
    call: CallContext,
    idempotency?: CustomerKey,
  ): Promise<Order> {
    const order = await this.getOrder(customer, orderId);
    if (order.status !== 'PENDING_PAYMENT') {
      // The request that held this key stopped before its answer was kept, perhaps after
      // paying: its retry gets the answer that request would have given (decision 0014).
      if (idempotency?.resumed && PAID_STATUSES.includes(order.status)) return order;
      throw PAID_STATUSES.includes(order.status)
        ? new OrderAlreadyPaidError(order)
        : new InvalidOrderStateError(order.id, order.status, 'it is no longer awaiting payment');
    }

    const declinedBefore = await store.countDeclinedPayments(this.deps.db, order.id);
    const payment = await this.charge(
      order,
      paymentMethod,
      chargeKey(order.id, paymentMethod, {
        declinedBefore,
        customer,
        clientKey: idempotency?.key,
      }),
      call,
    );

    switch (payment.status) {
      case 'CAPTURED':
        return this.recordCapture(order.id, payment, call.requestId);
      case 'DECLINED':
        await this.deps.db.transaction(async (tx) => {
          if (await store.recordDecline(tx, order.id, declinedBefore)) {
            await recordOrderEvent(
              tx,
              sagaSteps.paymentDeclined(order.id, payment, call.requestId),
            );
          }
        });
        throw new PaymentDeclinedError(payment.id, payment.declineCode);
      case 'REFUNDED':
        throw new InvalidOrderStateError(
          order.id,
          order.status,
          `its payment ${payment.id} has been refunded`,
        );
    }
  }

  /**
   * Cancels the order: an unpaid one at once; a paid one if the kitchen can still cancel its
   * ticket, then refunds the payment. Once preparation has started it is too late.
   */
  async cancelOrder(customer: EndUser, orderId: string, call: CallContext): Promise<Order> {
    const order = await this.getOrder(customer, orderId);
    if (order.status === 'PENDING_PAYMENT') {
      // A charge may have been captured without the order hearing of it (its answer timed out,
      // or this service stopped before recording it): cancelling must give that money back.
      const capture = await this.findCapture(order.id, call);
      const cancelled = await this.deps.db.transaction(async (tx) => {
        const cancelled = await store.cancelUnpaid(tx, order.id, capture?.id ?? null);
        if (cancelled) await recordOrderEvent(tx, sagaSteps.cancelled(cancelled, call.requestId));
        if (cancelled && capture) await requestRefund(tx, cancelled, call.requestId);
        return cancelled;
      });
      if (cancelled) {
        if (capture) this.deps.outbox.wake();
        return cancelled;
      }
      // A payment was recorded between the read and the update: cancel it as a paid order.
      return this.cancelPaidOrder(await this.getOrder(customer, orderId), call);
    }
    return this.cancelPaidOrder(order, call);
  }

  /**
   * Applies the kitchen's report of a ticket status, forward only: a late or repeated report
   * changes nothing. A rejected ticket refunds the payment. Resolves to whether the order changed.
   */
  async applyTicketReport(report: TicketStatusReport, requestId?: string): Promise<boolean> {
    const outcome = await this.deps.db.transaction(async (tx) => {
      const order = await store.findOrder(tx, report.orderId, { forUpdate: true });
      if (!order) throw new OrderNotFoundError(report.orderId);

      const move = orderStatusAfterTicket[report.status];
      const nextStatus = move?.from.includes(order.status) ? move.to : undefined;
      // A late (QUEUED after PREPARING, say) or repeated report leaves the order as it is.
      const applied = nextStatus !== undefined || order.ticketId === null;
      const saved = applied
        ? await store.saveTicketProgress(tx, order.id, {
            status: nextStatus ?? order.status,
            ticketId: order.ticketId ?? report.ticketId,
          })
        : order;
      // The timeline shows each status the kitchen reported once, a late one too.
      if (!(await hasKitchenStatus(tx, order.id, report.status))) {
        await recordOrderEvent(
          tx,
          sagaSteps.kitchenStatus(report, nextStatus !== undefined, requestId),
        );
      }
      if (!applied) return { applied: false, refunding: false };

      const refunding = nextStatus !== undefined && REFUNDED_STATUSES.includes(nextStatus);
      if (refunding) await requestRefund(tx, saved, requestId);
      return { applied: true, refunding };
    });
    if (outcome.refunding) this.deps.outbox.wake();
    return outcome.applied;
  }

  /** The captured payment of an order, if the payment service has one. */
  private async findCapture(orderId: string, call: CallContext): Promise<Payment | undefined> {
    const answer = await this.deps.payments.listPayments({ query: { orderId } }, call);
    if (answer.status !== 200) {
      throw refusedOurRequest('payment', answer);
    }
    return answer.body.items.find((payment) => payment.status === 'CAPTURED');
  }

  private async charge(
    order: Order,
    paymentMethod: PaymentMethod,
    idempotencyKey: string,
    call: CallContext,
  ): Promise<Payment> {
    const answer = await this.deps.payments.charge(
      {
        headers: { 'idempotency-key': idempotencyKey },
        body: {
          orderId: order.id,
          amountCents: order.totalCents,
          currency: order.currency,
          paymentMethod,
        },
      },
      call,
    );
    if (answer.status === 200 || answer.status === 201) return answer.body;
    throw refusedOurRequest('payment', answer);
  }

  private async recordCapture(
    orderId: string,
    payment: Payment,
    requestId: string | undefined,
  ): Promise<Order> {
    const outcome = await this.deps.db.transaction(async (tx) => {
      const paid = await store.recordCapture(tx, orderId, payment.id);
      if (paid) {
        await recordOrderEvent(tx, sagaSteps.paymentCaptured(paid, requestId));
        await enqueue(tx, {
          destination: destinations.createTicket,
          payload: ticketFor(paid),
          requestId,
        });
        return { order: paid, accepted: true };
      }
      const current = await store.findOrder(tx, orderId);
      if (!current) throw new OrderNotFoundError(orderId);
      if (current.paymentId === payment.id) return { order: current, accepted: true };
      // The order was cancelled while its card was being charged: give the money back.
      await requestRefund(tx, { ...current, paymentId: payment.id }, requestId);
      return { order: current, accepted: false };
    });
    this.deps.outbox.wake();
    if (!outcome.accepted) {
      throw new InvalidOrderStateError(
        orderId,
        outcome.order.status,
        `it changed while the card was charged; payment ${payment.id} will be refunded`,
      );
    }
    return outcome.order;
  }

  private async cancelPaidOrder(order: Order, call: CallContext): Promise<Order> {
    if (order.status !== 'PAID') {
      throw new InvalidOrderStateError(order.id, order.status, 'it can no longer be cancelled');
    }
    const answer = await this.deps.kitchen.cancelTicketForOrder(
      { params: { orderId: order.id }, body: { orderNumber: order.number } },
      call,
    );
    if (answer.status === 409) {
      throw new InvalidOrderStateError(order.id, order.status, 'preparation has started');
    }
    if (answer.status !== 200) {
      throw refusedOurRequest('kitchen', answer);
    }

    const cancelled = await this.deps.db.transaction(async (tx) => {
      const cancelled = await store.updateStatus(tx, order.id, { from: ['PAID'], to: 'CANCELLED' });
      if (cancelled) {
        await recordOrderEvent(tx, sagaSteps.cancelled(cancelled, call.requestId));
        await requestRefund(tx, cancelled, call.requestId);
      }
      return cancelled;
    });
    if (!cancelled) {
      const current = await store.findOrder(this.deps.db, order.id);
      // The kitchen's report of the cancellation got here first and cancelled the order.
      if (current?.status === 'CANCELLED') return current;
      throw new InvalidOrderStateError(
        order.id,
        current?.status ?? order.status,
        'it changed while its ticket was being cancelled',
      );
    }
    this.deps.outbox.wake();
    return cancelled;
  }
}

/**
 * The payment service's idempotency key for a charge (decision 0003). Without a key from the
 * customer it is the attempt, stable until a decline is recorded, so a retry after a timeout is
 * never charged twice. With one it is the customer's key: their retry is the same charge even
 * when the attempt count has moved meanwhile (another request's decline recorded), and their
 * new key is a new attempt. Hashed with the customer's id, since the key is the customer's own
 * text: up to 255 characters of anything, not to be passed on as it is, and theirs alone.
 */
function chargeKey(
  orderId: string,
  paymentMethod: PaymentMethod,
  attempt: { declinedBefore: number; customer: EndUser; clientKey: string | undefined },
): string {
  if (attempt.clientKey === undefined) {
    return `${orderId}:attempt-${attempt.declinedBefore + 1}:${paymentMethod}`;
  }
  const hashed = createHash('sha256')
    .update(JSON.stringify([attempt.customer.id, attempt.clientKey]))
    .digest('hex')
    .slice(0, 32);
  return `${orderId}:key-${hashed}:${paymentMethod}`;
}

/** A service refused a request of ours: nothing the customer can change, answered as 502. */
function refusedOurRequest(
  service: string,
  answer: { status: number; body: Problem },
): UnexpectedResponseError {
  return new UnexpectedResponseError(
    service,
    answer.status,
    `${answer.status} ${answer.body.detail ?? answer.body.title}`,
  );
}

function ticketFor(order: Order): CreateTicketRequest {
  return {
    orderId: order.id,
    orderNumber: order.number,
    items: order.items.map(({ menuItemId, name, quantity }) => ({ menuItemId, name, quantity })),
    notes: order.notes,
  };
}

/** Queues the refund of the order's payment in the caller's transaction, and records the step. */
async function requestRefund(
  tx: Queryable,
  order: Order,
  requestId: string | undefined,
): Promise<void> {
  if (!order.paymentId) throw new Error(`Order ${order.id} has no payment to refund`);
  const payload: RefundPaymentMessage = { paymentId: order.paymentId, orderId: order.id };
  await enqueue(tx, { destination: destinations.refundPayment, payload, requestId });
  await recordOrderEvent(tx, sagaSteps.refundRequested(order.id, order.paymentId, requestId));
}

/** A list cursor: the number below which the next page starts, opaque to clients. */
const Cursor = z.strictObject({ before: z.int().min(1).max(2_147_483_647) });

function cursorAfter(order: Order): string {
  return Buffer.from(JSON.stringify({ before: order.number })).toString('base64url');
}

function readCursor(cursor: string): number {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))).before;
  } catch {
    throw new InvalidCursorError();
  }
}
