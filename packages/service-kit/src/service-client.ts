import type { Contract } from '@cheesecake/contracts';
import { correlationHeaders } from './correlation.js';
import { internalHeaders } from './internal-auth.js';
import { deliveryHeaders } from './outbox.js';
import { DownstreamPolicy, type ResilienceOptions } from './resilience.js';
import { type Client, createClient } from './typed-client.js';

/** Where a service calls another one, and with which credential. */
export interface ServiceClientOptions {
  /** The calling service's name (the credential's issuer). */
  from: string;
  /** The called service's name (the credential's audience, and the name in error details). */
  to: string;
  baseUrl: string;
  /** The secret internal credentials are signed with. */
  secret: string;
  /** The budget of each call, retries included. */
  timeoutMs: number;
  /**
   * The policies the calls go through, to share them with other callers of `to`; without
   * one, the client makes its own from `resilience`.
   */
  policy?: DownstreamPolicy;
  /** Settings of the client's own policies: retries, breaker, bulkhead, logger. */
  resilience?: Omit<ResilienceOptions, 'service' | 'timeoutMs'>;
}

/**
 * A typed client from one service to another: every call carries a fresh internal
 * credential from `from` to `to` for its method and path, with the end user of the call when there is one, and
 * the correlation of the request or delivery it is made for (request id and trace, and the
 * message id of an outbox delivery). Every
 * call goes through the {@link DownstreamPolicy} of `to`: a timeout, a bulkhead, retries
 * when the call is safe to repeat, and a circuit breaker.
 */
export function createServiceClient<const C extends Contract>(
  contract: C,
  options: ServiceClientOptions,
): Client<C> {
  const credential = internalHeaders({
    secret: options.secret,
    issuer: options.from,
    audience: options.to,
  });
  const policy =
    options.policy ??
    new DownstreamPolicy({
      ...options.resilience,
      service: options.to,
      timeoutMs: options.timeoutMs,
    });
  return createClient(contract, {
    service: options.to,
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    policy: policy.forClient,
    prepareHeaders: async (context, target) => ({
      ...correlationHeaders(),
      // X-Message-Id when the call delivers an outbox message, so the receiver can tell a copy.
      ...deliveryHeaders(),
      ...(await credential(context, target)),
    }),
  });
}
