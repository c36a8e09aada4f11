import axios, { type AxiosInstance, type AxiosResponse, isAxiosError } from 'axios';
import type { Role } from './common.js';
import {
  type Contract,
  type Endpoint,
  fillPath,
  type JsonRouteOf,
  type RequestOf,
  type ResponseOf,
} from './endpoint.js';
import { ProblemError, problemTypes } from './problem.js';
import { ReplicaBalancer, type Resolver } from './replica-balancer.js';

/** The end user a call is made on behalf of. */
export interface EndUser {
  id: string;
  role: Role;
}

/** Who a call is for and which request it belongs to; passed to `prepareHeaders`. */
export interface CallContext {
  /** The request id of the incoming request, sent on as `X-Request-Id`. */
  requestId?: string;
  /** The end user the call acts for, if any. */
  user?: EndUser;
}

/** Options of a typed client. */
export interface ClientOptions {
  /** The downstream's name, used in error details (`payment`, `kitchen`, …). */
  service: string;
  /** The downstream's base URL, such as `http://localhost:3002`. */
  baseUrl: string;
  /** How long a call may take before it fails with 504; default 5 s. */
  timeoutMs?: number;
  /** How host names resolve to replica addresses; the system resolver when unset. */
  resolve?: Resolver;
  /** Headers to add to every call, such as the internal credential. */
  prepareHeaders?: (
    context: CallContext,
  ) => Promise<Record<string, string>> | Record<string, string>;
}

/** One method per endpoint record: takes the declared request parts, resolves to a declared response. */
export type Client<C extends Contract> = {
  [K in JsonRouteOf<C>]: (
    request: RequestOf<C[K]>,
    context?: CallContext,
  ) => Promise<ResponseOf<C[K]>>;
};

/** The downstream could not be reached (refused, reset, DNS): answered as 503. */
export class UpstreamUnavailableError extends ProblemError {
  constructor(service: string, reason: string) {
    super(problemTypes.serviceUnavailable, `The ${service} service is unavailable (${reason})`, {
      service,
    });
  }
}

/** The downstream did not answer within the timeout: answered as 504. */
export class UpstreamTimeoutError extends ProblemError {
  constructor(service: string, timeoutMs: number) {
    super(
      problemTypes.gatewayTimeout,
      `The ${service} service did not answer within ${timeoutMs} ms`,
      {
        service,
      },
    );
  }
}

/** The downstream answered a status or body its contract does not declare: answered as 502. */
export class UnexpectedResponseError extends ProblemError {
  /** The status the downstream answered. */
  readonly upstreamStatus: number;

  constructor(service: string, upstreamStatus: number, reason: string) {
    super(problemTypes.badGateway, `The ${service} service answered unexpectedly (${reason})`, {
      service,
    });
    this.upstreamStatus = upstreamStatus;
  }
}

const sharedBalancer = new ReplicaBalancer();

/**
 * Builds a typed client from endpoint records. Each call fills the path, sends query,
 * body and headers, and resolves to `{ status, body }` for any status the record
 * declares, with the body parsed by that status's schema. Any other outcome throws:
 * {@link UpstreamUnavailableError}, {@link UpstreamTimeoutError} or
 * {@link UnexpectedResponseError}, which the service-kit error middleware answers as
 * 503, 504 and 502 problems.
 */
export function createClient<const C extends Contract>(
  contract: C,
  options: ClientOptions,
): Client<C> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const baseUrl = new URL(options.baseUrl);
  const balancer = options.resolve ? new ReplicaBalancer(options.resolve) : sharedBalancer;
  const transport: AxiosInstance = axios.create({
    baseURL: options.baseUrl,
    timeout: timeoutMs,
    validateStatus: () => true,
    maxRedirects: 0,
    headers: { accept: 'application/json, application/problem+json' },
  });

  const call = async (
    endpoint: Endpoint,
    request: Record<string, unknown>,
    context: CallContext = {},
  ) => {
    const headers: Record<string, string> = {
      ...(options.prepareHeaders ? await options.prepareHeaders(context) : {}),
      ...(request.headers as Record<string, string> | undefined),
    };
    if (context.requestId) headers['x-request-id'] = context.requestId;

    let response: AxiosResponse<unknown>;
    try {
      const agent = await balancer.agentFor(baseUrl);
      response = await transport.request({
        method: endpoint.method,
        url: fillPath(endpoint.path, request.params as Record<string, unknown> | undefined),
        params: request.query,
        data: request.body,
        headers,
        httpAgent: agent,
        httpsAgent: agent,
      });
    } catch (error) {
      if (isAxiosError(error) && (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT')) {
        throw new UpstreamTimeoutError(options.service, timeoutMs);
      }
      // The replica may be gone: look the name up again before the next call.
      balancer.forget(baseUrl.hostname);
      const code = (error as { code?: unknown } | null)?.code;
      const reason =
        typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
      throw new UpstreamUnavailableError(options.service, reason);
    }

    const schema = endpoint.responses[response.status];
    if (!schema) {
      throw new UnexpectedResponseError(
        options.service,
        response.status,
        `status ${response.status}`,
      );
    }
    const parsed = schema.safeParse(response.data);
    if (!parsed.success) {
      throw new UnexpectedResponseError(
        options.service,
        response.status,
        `a ${response.status} body that does not match the contract`,
      );
    }
    return { status: response.status, body: parsed.data };
  };

  return Object.fromEntries(
    Object.entries(contract)
      .filter(([, endpoint]) => !endpoint.eventStream)
      .map(([name, endpoint]) => [
        name,
        (request: Record<string, unknown>, context?: CallContext) =>
          call(endpoint, request, context),
      ]),
  ) as unknown as Client<C>;
}
