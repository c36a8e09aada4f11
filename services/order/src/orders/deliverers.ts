import {
  CreateTicketRequest,
  type kitchenApi,
  type paymentApi,
  ResourceId,
} from '@cheesecake/contracts';
import {
  type Client,
  type Deliverer,
  deliveryContextOf,
  payloadOf,
  type Queryable,
  refusedDelivery,
} from '@cheesecake/service-kit';
import { z } from 'zod';
import { recordOrderEvent } from './order-event-store.js';
import { orderEvents } from './order-events.js';

/** Where the order service's outbox messages go. */
export const destinations = {
  /** "Order #123 has been paid: prepare it", a {@link CreateTicketRequest}. */
  createTicket: 'kitchen.create-ticket',
  /** Give a captured payment back, a {@link RefundPaymentMessage}. */
  refundPayment: 'payment.refund',
} as const;

/** The payload of a `payment.refund` message. */
export const RefundPaymentMessage = z.object({ paymentId: ResourceId, orderId: ResourceId });
export type RefundPaymentMessage = z.infer<typeof RefundPaymentMessage>;

/** The downstream clients the messages are delivered with, and the database their steps go to. */
export interface DelivererDeps {
  kitchen: Client<typeof kitchenApi>;
  payments: Client<typeof paymentApi>;
  db: Queryable;
}

/**
 * One deliverer per destination. Each resolves once the receiver accepted the message;
 * a refusal the receiver's contract declares (4xx but 401) will not get better by retrying,
 * so it is permanent, while an unreachable, slow or failing receiver throws to be retried.
 * Each attempt to hand over a ticket, and each completed refund, is a step of the order's saga.
 */
export function createDeliverers({
  kitchen,
  payments,
  db,
}: DelivererDeps): Record<string, Deliverer> {
  return {
    [destinations.createTicket]: async (message) => {
      const ticket = payloadOf(message, CreateTicketRequest);
      let ticketId: string;
      try {
        const answer = await kitchen.createTicket({ body: ticket }, deliveryContextOf(message));
        if (answer.status !== 200 && answer.status !== 201) {
          throw refusedDelivery('kitchen', answer);
        }
        ticketId = answer.body.id;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        await recordOrderEvent(
          db,
          orderEvents.ticketDeliveryFailed(ticket.orderId, reason, message),
        );
        throw error;
      }
      await recordOrderEvent(db, orderEvents.ticketDelivered(ticket.orderId, ticketId, message));
    },
    [destinations.refundPayment]: async (message) => {
      const { paymentId, orderId } = payloadOf(message, RefundPaymentMessage);
      const answer = await payments.refundPayment(
        { params: { paymentId } },
        deliveryContextOf(message),
      );
      if (answer.status !== 200) {
        throw refusedDelivery('payment', answer);
      }
      await recordOrderEvent(
        db,
        orderEvents.refundCompleted(orderId, paymentId, message.requestId),
      );
    },
  };
}
