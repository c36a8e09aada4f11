import { type Client, type Contract, createClient } from '@cheesecake/contracts';
import { correlationHeaders } from './correlation.js';
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
 * credential from `from` to `to`, with the end user of the call when there is one, and
 * the correlation of the request or delivery it is made for (request id and trace).
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
  return createClient(contract, {
    service: options.to,
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    prepareHeaders: async (context) => ({
      ...correlationHeaders(),
      ...(await credential(context)),
    }),
  });
}
