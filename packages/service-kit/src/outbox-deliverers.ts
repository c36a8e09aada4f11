import type { z } from 'zod';
import type { OutboxMessage } from './outbox.js';

/** Thrown by a deliverer when retrying cannot help (the receiver rejected the message). */
export class PermanentDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}

/**
 * The error for a receiver's declared refusal of a message. A 4xx is permanent, since
 * sending the same message again cannot change the answer, except 401: our credential was
 * refused (a secret being rotated, a clock out of step), which configuration fixes, so the
 * relay keeps trying.
 */
export function refusedDelivery(
  receiver: string,
  answer: { status: number; body: { title: string; detail?: string | undefined } },
): Error {
  const message = `${receiver} answered ${answer.status}: ${answer.body.detail ?? answer.body.title}`;
  return answer.status === 401 ? new Error(message) : new PermanentDeliveryError(message);
}

/**
 * A message's payload parsed with the schema of its destination. One that does not parse
 * will not parse on a retry either, so it is a {@link PermanentDeliveryError}.
 */
export function payloadOf<S extends z.ZodType>(message: OutboxMessage, schema: S): z.output<S> {
  const parsed = schema.safeParse(message.payload);
  if (!parsed.success) {
    throw new PermanentDeliveryError(
      `malformed ${message.destination} payload: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}

/** The request context a delivery passes to a client call: the request id that caused it. */
export function deliveryContextOf(message: OutboxMessage): { requestId?: string } {
  return message.requestId ? { requestId: message.requestId } : {};
}

/** Delivers one message; resolves once the receiver has accepted it (2xx), throws otherwise. */
export type Deliverer = (message: OutboxMessage) => Promise<void>;
