import type { OrderStatus, TicketStatus } from '@cheesecake/contracts';
import { nextStatus, type Transition } from '@cheesecake/service-kit';

/**
 * The order's lifecycle: what may happen to an order, in which statuses, and the status it
 * leads to. Whatever the table does not list leaves the order as it is; the use cases ask it,
 * and the store's `status = any(from)` guards come from it.
 */
export const orderTransitions = {
  /** The payment service captured the charge; the kitchen is told to prepare the order. */
  paymentCaptured: { from: ['PENDING_PAYMENT'], to: 'PAID' },
  /** The customer cancels before paying. */
  cancelledUnpaid: { from: ['PENDING_PAYMENT'], to: 'CANCELLED' },
  /** The customer cancels once paid, and the kitchen agreed to drop the ticket: refunded. */
  cancelledPaid: { from: ['PAID'], to: 'CANCELLED' },
  kitchenPreparing: { from: ['PAID'], to: 'PREPARING' },
  kitchenReady: { from: ['PAID', 'PREPARING'], to: 'READY' },
  /** The kitchen rejected the ticket (sold out): refunded. */
  kitchenRejected: { from: ['PAID'], to: 'REJECTED' },
  /**
   * Normally the order is cancelled already (it cancels itself right after the kitchen
   * agrees); this moves a PAID order only when that step was lost to a crash or a timeout,
   * so the order cannot stay PAID with its ticket gone. Refunded.
   */
  kitchenCancelled: { from: ['PAID'], to: 'CANCELLED' },
} as const satisfies Record<string, Transition<OrderStatus>>;

/** Something that may happen to an order: a row of {@link orderTransitions}. */
export type OrderTransitionName = keyof typeof orderTransitions;

/** What each ticket status the kitchen reports is for the order; QUEUED moves nothing. */
export const transitionOfTicketStatus: Record<TicketStatus, OrderTransitionName | undefined> = {
  QUEUED: undefined,
  PREPARING: 'kitchenPreparing',
  READY: 'kitchenReady',
  REJECTED: 'kitchenRejected',
  CANCELLED: 'kitchenCancelled',
};

/** The transitions after which the order's payment is given back. */
export const REFUNDING_TRANSITIONS: readonly OrderTransitionName[] = [
  'cancelledPaid',
  'kitchenRejected',
  'kitchenCancelled',
];

/** The statuses of an order whose payment was captured and kept. */
export const PAID_STATUSES: readonly OrderStatus[] = ['PAID', 'PREPARING', 'READY'];

/** The status `name` moves an order in `status` to; undefined when it may not happen then. */
export function statusAfter(
  name: OrderTransitionName,
  status: OrderStatus,
): OrderStatus | undefined {
  return nextStatus<OrderStatus>(orderTransitions[name], status);
}
