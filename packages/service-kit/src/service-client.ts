import { type Client, type Contract, createClient } from '@cheesecake/contracts';
import { internalHeaders } from './internal-auth.js';

/** Where a service calls another one, and with which credential. */
export interface ServiceClientOptions {
  /** The calling service's name (the credential's issuer). */
  from: string;
  /** The called service's name (the credential's audience, and the name in error details). */
  to: string;
  baseUrl: string;
  /** The secret internal credentials are signed with. */
  secret: string;
  timeoutMs: number;
}

/**
 * A typed client from one service to another: every call carries a fresh internal
 * credential from `from` to `to`, with the end user of the call when there is one.
 */
export function createServiceClient<const C extends Contract>(
  contract: C,
  options: ServiceClientOptions,
): Client<C> {
  return createClient(contract, {
    service: options.to,
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    prepareHeaders: internalHeaders({
      secret: options.secret,
      issuer: options.from,
      audience: options.to,
    }),
  });
}
