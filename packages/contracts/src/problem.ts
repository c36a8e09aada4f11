import { z } from 'zod';

/** One failed check of a validation problem. */
export const ValidationIssue = z.object({
  path: z.string().max(1_000),
  message: z.string().max(10_000),
});
export type ValidationIssue = z.infer<typeof ValidationIssue>;

/**
 * An RFC 9457 problem details document, as every Cheesecake service and the gateway
 * answer errors (`application/problem+json`). Extension members are allowed.
 */
export const Problem = z.looseObject({
  type: z.string().max(200),
  title: z.string().max(200),
  status: z.int32().min(400).max(599),
  detail: z.string().max(100_000).optional(),
  instance: z.string().max(2_000).optional(),
  requestId: z.string().max(128).optional(),
  errors: z.array(ValidationIssue).max(1_000).optional(),
});
export type Problem = z.infer<typeof Problem>;

/**
 * Set on a 5xx answer that reports another service's failure (a downstream that timed out or
 * was unreachable), naming that service. A caller's circuit breaker counts such an answer
 * against the service it names, not against the healthy service that passed it on.
 */
export const FAILED_SERVICE_HEADER = 'x-failed-service';

/** The media type of problem details documents. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A kind of problem: a stable code, its HTTP status and a short human title. */
export interface ProblemType {
  code: string;
  status: number;
  title: string;
}

/** The `type` URI of a problem type. */
export function problemTypeUri(code: string): string {
  return `urn:cheesecake:problem:${code}`;
}

const define = <const T extends Record<string, ProblemType>>(types: T): T => types;

/**
 * Every problem type the system answers with, keyed by a name for code. Clients match
 * on `type` (`urn:cheesecake:problem:<code>`), never on `title` or `detail`.
 */
export const problemTypes = define({
  validation: { code: 'validation', status: 400, title: 'Your request is not valid' },
  malformedJson: {
    code: 'malformed-json',
    status: 400,
    title: 'The request body is not valid JSON',
  },
  badRequest: { code: 'bad-request', status: 400, title: 'The request is malformed' },
  unauthenticated: { code: 'unauthenticated', status: 401, title: 'Authentication required' },
  invalidCredentials: {
    code: 'invalid-credentials',
    status: 401,
    title: 'Wrong username or password',
  },
  paymentDeclined: { code: 'payment-declined', status: 402, title: 'The payment was declined' },
  forbidden: { code: 'forbidden', status: 403, title: 'Your role may not do this' },
  notFound: { code: 'not-found', status: 404, title: 'No such resource' },
  orderNotFound: { code: 'order-not-found', status: 404, title: 'No such order' },
  paymentNotFound: { code: 'payment-not-found', status: 404, title: 'No such payment' },
  ticketNotFound: { code: 'ticket-not-found', status: 404, title: 'No such kitchen ticket' },
  menuItemNotFound: { code: 'menu-item-not-found', status: 404, title: 'No such menu item' },
  dishNotStocked: {
    code: 'dish-not-stocked',
    status: 404,
    title: 'The kitchen does not make this dish',
  },
  invalidOrderState: {
    code: 'invalid-order-state',
    status: 409,
    title: 'The order is not in a state that allows this',
  },
  invalidTicketState: {
    code: 'invalid-ticket-state',
    status: 409,
    title: 'The ticket is not in a state that allows this',
  },
  invalidPaymentState: {
    code: 'invalid-payment-state',
    status: 409,
    title: 'The payment is not in a state that allows this',
  },
  outboxMessageNotDead: {
    code: 'outbox-message-not-dead',
    status: 409,
    title: 'The message is not a dead letter',
  },
  menuItemUnavailable: {
    code: 'menu-item-unavailable',
    status: 409,
    title: 'A menu item is not available',
  },
  idempotencyRequestInFlight: {
    code: 'idempotency-request-in-flight',
    status: 409,
    title: 'A request with this idempotency key is still being processed',
  },
  idempotencyKeyReused: {
    code: 'idempotency-key-reused',
    status: 422,
    title: 'This idempotency key was used for another request',
  },
  payloadTooLarge: {
    code: 'payload-too-large',
    status: 413,
    title: 'The request body is too large',
  },
  unsupportedMediaType: {
    code: 'unsupported-media-type',
    status: 415,
    title: 'The request body must be JSON',
  },
  upgradeRequired: {
    code: 'upgrade-required',
    status: 426,
    title: 'This route speaks WebSocket only',
  },
  rateLimited: { code: 'rate-limited', status: 429, title: 'Too many requests' },
  internal: { code: 'internal', status: 500, title: 'Something went wrong on our side' },
  badGateway: {
    code: 'bad-gateway',
    status: 502,
    title: 'A downstream service answered unexpectedly',
  },
  serviceUnavailable: {
    code: 'service-unavailable',
    status: 503,
    title: 'A downstream service is unavailable',
  },
  gatewayTimeout: {
    code: 'gateway-timeout',
    status: 504,
    title: 'A downstream service did not answer in time',
  },
});

/** Builds `{ [status]: Problem }` for each status, for an endpoint record's `responses`. */
export function problemResponses<const S extends readonly number[]>(
  ...statuses: S
): { [K in S[number]]: typeof Problem } {
  return Object.fromEntries(statuses.map((status) => [status, Problem])) as {
    [K in S[number]]: typeof Problem;
  };
}
