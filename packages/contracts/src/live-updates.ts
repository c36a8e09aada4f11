import { z } from 'zod';
import { ResourceId } from './common.js';
import { OrderStatusEvent } from './orders.js';
import { Problem } from './problem.js';

/** What a WebSocket subscription names: one order, or `"*"` for every order (kitchen and admins). */
export const SubscriptionTarget = z.union([ResourceId, z.literal('*')]);
export type SubscriptionTarget = z.infer<typeof SubscriptionTarget>;

/**
 * A message a client sends on `GET /api/ws`: follow an order's status, or stop following
 * it. Subscribing answers with the order's current status first, like its event stream.
 */
export const LiveClientMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('subscribe'), orderId: SubscriptionTarget }),
  z.strictObject({ type: z.literal('unsubscribe'), orderId: SubscriptionTarget }),
]);
export type LiveClientMessage = z.infer<typeof LiveClientMessage>;

/** The server's acknowledgement of a subscribe or unsubscribe. */
export const LiveAcknowledgement = z.object({
  type: z.enum(['subscribed', 'unsubscribed']),
  orderId: SubscriptionTarget,
});
export type LiveAcknowledgement = z.infer<typeof LiveAcknowledgement>;

/**
 * A refused message or a subscription that ended in error, as a problem: 400 for a
 * message that is not valid, 403 for `"*"` from a customer, 404 for an order the user may
 * not see (never revealing whether it exists), 503 when the order service is unreachable.
 */
export const LiveError = z.object({
  type: z.literal('error'),
  orderId: SubscriptionTarget.optional(),
  problem: Problem,
});
export type LiveError = z.infer<typeof LiveError>;

/** A message the server sends on `GET /api/ws`. */
export const LiveServerMessage = z.discriminatedUnion('type', [
  OrderStatusEvent,
  LiveAcknowledgement,
  LiveError,
]);
export type LiveServerMessage = z.infer<typeof LiveServerMessage>;

/** The query of `GET /api/ws`: browsers cannot set headers on a WebSocket, so the token comes here. */
export const LiveUpdatesQuery = z.strictObject({ access_token: z.string().min(1).max(4096) });
export type LiveUpdatesQuery = z.infer<typeof LiveUpdatesQuery>;
