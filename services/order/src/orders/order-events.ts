import type { Order, Payment, TicketStatusReport } from '@cheesecake/contracts';
import type { NewOrderEvent } from './order-event-store.js';

/** The request that caused a step; an outbox delivery carries the one that queued it. */
type Cause = string | null | undefined;

/** The order events, one per step of the saga, as its timeline tells them, each with its sentence. */
export const orderEvents = {
  placed: (order: Order, requestId: Cause): NewOrderEvent => ({
    orderId: order.id,
    step: 'order.placed',
    statusChanged: true,
    detail: `Order #${order.number} placed: ${order.items
      .map((line) => `${line.quantity} × ${line.name}`)
      .join(', ')}`,
    requestId,
  }),

  paymentCaptured: (order: Order, requestId: Cause): NewOrderEvent => ({
    orderId: order.id,
    step: 'payment.captured',
    statusChanged: true,
    detail: `Payment ${order.paymentId} captured; the kitchen is asked to prepare the order`,
    requestId,
    paymentId: order.paymentId,
  }),

  paymentDeclined: (orderId: string, payment: Payment, requestId: Cause): NewOrderEvent => ({
    orderId,
    step: 'payment.declined',
    statusChanged: false,
    detail: `Payment ${payment.id} declined: ${payment.declineCode ?? 'no reason given'}`,
    requestId,
    paymentId: payment.id,
  }),

  cancelled: (order: Order, requestId: Cause): NewOrderEvent => ({
    orderId: order.id,
    step: 'order.cancelled',
    statusChanged: true,
    detail: 'Cancelled by the customer',
    requestId,
  }),

  kitchenStatus: (
    report: TicketStatusReport,
    statusChanged: boolean,
    requestId: Cause,
  ): NewOrderEvent => ({
    orderId: report.orderId,
    step: 'kitchen.status',
    statusChanged,
    detail: `The kitchen reports ticket ${report.ticketId} ${report.status}${
      report.reason ? `: ${report.reason}` : ''
    }`,
    requestId,
    ticketId: report.ticketId,
    ticketStatus: report.status,
  }),

  refundRequested: (orderId: string, paymentId: string, requestId: Cause): NewOrderEvent => ({
    orderId,
    step: 'refund.requested',
    statusChanged: false,
    detail: `Refund of payment ${paymentId} queued for the payment service`,
    requestId,
    paymentId,
  }),

  refundCompleted: (orderId: string, paymentId: string, requestId: Cause): NewOrderEvent => ({
    orderId,
    step: 'refund.completed',
    statusChanged: false,
    detail: `Payment ${paymentId} refunded`,
    requestId,
    paymentId,
  }),

  ticketDelivered: (
    orderId: string,
    ticketId: string,
    delivery: { attempts: number; requestId: Cause },
  ): NewOrderEvent => ({
    orderId,
    step: 'ticket.delivered',
    statusChanged: false,
    detail: `The kitchen accepted the ticket as ${ticketId}`,
    requestId: delivery.requestId,
    ticketId,
    attempt: delivery.attempts,
  }),

  ticketDeliveryFailed: (
    orderId: string,
    reason: string,
    delivery: { attempts: number; requestId: Cause },
  ): NewOrderEvent => ({
    orderId,
    step: 'ticket.delivery-failed',
    statusChanged: false,
    detail: `Handing the ticket to the kitchen failed: ${reason}`,
    requestId: delivery.requestId,
    attempt: delivery.attempts,
  }),
};
