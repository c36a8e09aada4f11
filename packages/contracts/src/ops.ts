import { z } from 'zod';
import { ResourceId, Timestamp } from './common.js';
import { defineEndpoint } from './endpoint.js';
import { problemResponses } from './problem.js';

/** The services that keep an outbox, and so may hold dead letters. */
export const ServiceWithOutbox = z.enum(['order', 'kitchen']);
export type ServiceWithOutbox = z.infer<typeof ServiceWithOutbox>;

/** The services faults can be injected into. */
export const FaultyService = z.enum(['order', 'payment', 'kitchen']);
export type FaultyService = z.infer<typeof FaultyService>;

/**
 * An outbox message that exhausted its retries (or was refused for good) and was set aside,
 * as the service that keeps it lists it.
 */
export const OutboxDeadLetter = z.object({
  messageId: z.string().max(64),
  destination: z.string().max(200),
  payload: z.unknown(),
  attempts: z.int32().min(0),
  lastError: z.string().max(100_000).nullable(),
  requestId: z.string().max(128).nullable(),
  createdAt: Timestamp,
});
export type OutboxDeadLetter = z.infer<typeof OutboxDeadLetter>;

/** What waits in a service's outbox: messages to deliver, dead letters, and the oldest wait. */
export const OutboxBacklog = z.object({
  pending: z.int32().min(0),
  dead: z.int32().min(0),
  /** How long the oldest pending message has waited; 0 when none waits. */
  oldestPendingSeconds: z.number().min(0).max(1e9),
});
export type OutboxBacklog = z.infer<typeof OutboxBacklog>;

/** The outbox backlog of every service that keeps an outbox. */
export const OutboxBacklogList = z.object({
  items: z.array(OutboxBacklog.extend({ service: ServiceWithOutbox })).max(10),
});
export type OutboxBacklogList = z.infer<typeof OutboxBacklogList>;

/** One service's dead letters, oldest first. */
export const OutboxDeadLetterList = z.object({ items: z.array(OutboxDeadLetter).max(100_000) });
export type OutboxDeadLetterList = z.infer<typeof OutboxDeadLetterList>;

/**
 * A dead letter in the public API, from any service's outbox. Its id is
 * `<service>-<messageId>`, such as `order-msg_01…`, naming where it lives.
 */
export const DeadLetter = OutboxDeadLetter.extend({
  id: ResourceId,
  service: ServiceWithOutbox,
});
export type DeadLetter = z.infer<typeof DeadLetter>;

/** Dead letters, oldest first. */
export const DeadLetterList = z.object({ items: z.array(DeadLetter).max(100_000) });
export type DeadLetterList = z.infer<typeof DeadLetterList>;

/** The path parameters of `POST /api/ops/dead-letters/{deadLetterId}/retry`. */
export const DeadLetterParams = z.strictObject({ deadLetterId: ResourceId });
export type DeadLetterParams = z.infer<typeof DeadLetterParams>;

/** The path parameters of a service's own `POST /ops/dead-letters/:messageId/retry`. */
export const OutboxMessageParams = z.strictObject({ messageId: ResourceId });
export type OutboxMessageParams = z.infer<typeof OutboxMessageParams>;

/** Deliberate faults in one service: a share of requests failing with 503, and added latency. */
export const FaultSettings = z.strictObject({
  /** The share of requests answered 503 at once, from 0 (none, the default) to 1 (all). */
  failureRate: z.number().min(0).max(1),
  /** Milliseconds added before every request is handled; 0 by default. */
  latencyMs: z.int32().min(0).max(30_000),
});
export type FaultSettings = z.infer<typeof FaultSettings>;

/** The path parameters of `PUT /api/ops/faults/{service}`. */
export const FaultParams = z.strictObject({ service: FaultyService });
export type FaultParams = z.infer<typeof FaultParams>;

/**
 * The operations API each service serves on its own port, for the gateway's admin routes:
 * its outbox's backlog and dead letters (services with an outbox) and its injected faults.
 */
export const opsApi = {
  getOutboxBacklog: defineEndpoint({
    method: 'GET',
    path: '/ops/outbox',
    summary: "What waits in the service's outbox: pending messages, dead letters, the oldest wait",
    access: ['admin'],
    responses: { 200: OutboxBacklog, ...problemResponses(401, 403) },
  }),
  listDeadLetters: defineEndpoint({
    method: 'GET',
    path: '/ops/dead-letters',
    summary: "The service's dead letters, oldest first",
    access: ['admin'],
    responses: { 200: OutboxDeadLetterList, ...problemResponses(401, 403) },
  }),
  retryDeadLetter: defineEndpoint({
    method: 'POST',
    path: '/ops/dead-letters/:messageId/retry',
    summary: 'Put a dead letter back in the outbox, to be delivered again from the first attempt',
    access: ['admin'],
    params: OutboxMessageParams,
    responses: { 200: OutboxDeadLetter, ...problemResponses(400, 401, 403, 404, 409) },
  }),
  setFaults: defineEndpoint({
    method: 'PUT',
    path: '/ops/faults',
    summary: 'Set the faults injected into this service; zeros switch them off',
    access: ['admin'],
    body: FaultSettings,
    responses: { 200: FaultSettings, ...problemResponses(400, 401, 403) },
  }),
};
