import type http from 'node:http';
import {
  type Contract,
  type Endpoint,
  type EndUser,
  fillPath,
  type JsonRouteOf,
  problemTypes,
  type RequestOf,
  type ResponseOf,
} from '@cheesecake/contracts';
import axios, { type AxiosInstance, type AxiosResponse, isAxiosError } from 'axios';
import { ProblemError } from './problem-error.js';
import { ReplicaBalancer, type Resolver } from './replica-balancer.js';

/** Who a call is for and which request it belongs to; passed to `prepareHeaders`. */
export interface CallContext {
  /** The request id of the incoming request, sent on as `X-Request-Id`. */
  requestId?: string;
  /** The end user the call acts for, if any. */
  user?: EndUser;
}

/**
 * The request line of a call about to be made: what an internal credential is signed for,
 * so it cannot be replayed on another route.
 */
export interface RequestTarget {
  /** The HTTP method, upper case. */
  method: string;
  /** The path the request is sent to (under the base URL's path, if it has one), without the query string. */
  path: string;
}

/** One call as a {@link CallPolicy} sees it, before it is sent. */
export interface OutgoingCall {
  /** The downstream's name. */
  service: string;
  /** The HTTP method, upper case. */
  method: string;
  /** The filled path, without the query string. */
  path: string;
  /** The headers the call carries (lower-case names), such as `idempotency-key`. */
  headers: Readonly<Record<string, string>>;
}

/** A downstream's answer before its contract reads it: what a {@link CallPolicy} decides on. */
export interface RawAnswer {
  status: number;
  /** The answer's headers with lower-case names, such as `retry-after`. */
  headers: Readonly<Record<string, string>>;
  /** The body, parsed as JSON when it is JSON. */
  body: unknown;
}

/**
 * Runs one call, for timeouts, retries, circuit breaking and the like. `send` makes one
 * attempt and gives up when `signal` aborts (rejecting with the signal's reason); it rejects
 * with {@link UpstreamUnavailableError} when the downstream cannot be reached. The policy
 * resolves to the answer the client then reads against the contract, or rejects with the
 * error the call fails with.
 */
export type CallPolicy = (
  call: OutgoingCall,
  send: (signal: AbortSignal) => Promise<RawAnswer>,
) => Promise<RawAnswer>;

/** Options of a typed client. */
export interface ClientOptions {
  /** The downstream's name, used in error details (`payment`, `kitchen`, …). */
  service: string;
  /** The downstream's base URL, such as `http://localhost:3002`. */
  baseUrl: string;
  /**
   * How long a call may take before it fails with 504; default 5 s. With a `policy`, the
   * policy times the calls instead.
   */
  timeoutMs?: number;
  /** How host names resolve to replica addresses; the system resolver when unset. */
  resolve?: Resolver;
  /**
   * Headers to add to every call, such as the internal credential, given who the call is
   * for and the method and path it is about to be sent to.
   */
  prepareHeaders?: (
    context: CallContext,
    target: RequestTarget,
  ) => Promise<Record<string, string>> | Record<string, string>;
  /** Wraps every call, such as in resilience policies; without one, each call is sent once. */
  policy?: CallPolicy;
}

/** One method per endpoint record: takes the declared request parts, resolves to a declared response. */
export type Client<C extends Contract> = {
  [K in JsonRouteOf<C>]: (
    request: RequestOf<C[K]>,
    context?: CallContext,
  ) => Promise<ResponseOf<C[K]>>;
};

/**
 * The downstream could not be reached (refused, reset, a name that does not resolve), or is
 * not being called for a while (an open circuit breaker, too many calls in progress):
 * answered as 503, with `Retry-After` when it is known when to try again. Network errors
 * become one in {@link Upstream.unreachable}.
 */
export class UpstreamUnavailableError extends ProblemError {
  /** When a new call may succeed, in seconds from now, if known. */
  readonly retryAfterSeconds: number | undefined;

  constructor(service: string, reason: string, retryAfterSeconds?: number) {
    super(problemTypes.serviceUnavailable, `The ${service} service is unavailable (${reason})`, {
      service,
    });
    this.retryAfterSeconds = retryAfterSeconds;
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

// One per process: every caller of a host name shares its resolution and connection pools.
const sharedBalancer = new ReplicaBalancer();

/**
 * How calls reach one downstream: a keep-alive connection pool to its next replica (through a
 * {@link ReplicaBalancer}), and the one place where failing to get an answer from it becomes
 * an {@link UpstreamUnavailableError} naming it. A name that does not resolve (`ENOTFOUND`,
 * `EAI_AGAIN`: in docker compose, a container that is gone), a connection refused
 * (`ECONNREFUSED`) or reset (`ECONNRESET`, "socket hang up") all end as that 503, whether
 * they happen while looking the name up, connecting, or waiting for the answer. The typed
 * client reaches its downstream through one, and so does code that makes its own
 * `node:http` requests, such as the gateway's proxy.
 */
export class Upstream {
  /** The downstream's name, as errors name it (`order`, `payment`, …). */
  readonly service: string;
  /** The downstream's base URL, such as `http://order:3001`. */
  readonly baseUrl: URL;
  readonly #balancer: ReplicaBalancer;

  /**
   * `balancer` spreads the calls over the replicas; by default the one every caller in this
   * process shares.
   */
  constructor(service: string, baseUrl: string | URL, balancer: ReplicaBalancer = sharedBalancer) {
    this.service = service;
    this.baseUrl = new URL(baseUrl);
    this.#balancer = balancer;
  }

  /**
   * The agent for the next call, pinned to one replica. Rejects with
   * {@link UpstreamUnavailableError} when the downstream's name does not resolve.
   */
  async agent(): Promise<http.Agent> {
    try {
      return await this.#balancer.agentFor(this.baseUrl);
    } catch (error) {
      throw this.unreachable(error);
    }
  }

  /**
   * The error a call fails with when `error` kept it from an answer: a {@link ProblemError}
   * (a timeout, a body over the limit) as it is; anything else as an
   * {@link UpstreamUnavailableError} whose reason is the error's code (`ECONNREFUSED`,
   * `ENOTFOUND`, …), or its message when it has none. The name is looked up again before the
   * next call, since the replica it pointed to may be gone.
   */
  unreachable(error: unknown): ProblemError {
    if (error instanceof ProblemError) return error;
    this.#balancer.forget(this.baseUrl.hostname);
    const code = (error as { code?: unknown } | null)?.code;
    const reason =
      typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
    return new UpstreamUnavailableError(this.service, reason);
  }
}

/**
 * The path a call to `path` is sent to under a base URL whose path is `basePath`, as axios
 * joins them and the URL parser normalizes them.
 */
function sentPath(basePath: string, path: string): string {
  const joined = `${basePath.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  return new URL(joined, 'http://localhost').pathname;
}

function stringHeaders(response: AxiosResponse<unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(response.headers).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}

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
  const upstream = new Upstream(
    options.service,
    options.baseUrl,
    options.resolve && new ReplicaBalancer(options.resolve),
  );
  const basePath = new URL(options.baseUrl).pathname;
  const transport: AxiosInstance = axios.create({
    baseURL: options.baseUrl,
    // A policy sets its own time limit through the signal it gives each attempt.
    timeout: options.policy ? 0 : timeoutMs,
    validateStatus: () => true,
    maxRedirects: 0,
    headers: { accept: 'application/json, application/problem+json' },
  });

  const call = async (
    endpoint: Endpoint,
    request: Record<string, unknown>,
    context: CallContext = {},
  ) => {
    const path = fillPath(endpoint.path, request.params as Record<string, unknown> | undefined);
    const target = { method: endpoint.method.toUpperCase(), path: sentPath(basePath, path) };
    const headers: Record<string, string> = {
      ...(options.prepareHeaders ? await options.prepareHeaders(context, target) : {}),
      ...(request.headers as Record<string, string> | undefined),
    };
    if (context.requestId) headers['x-request-id'] = context.requestId;

    const send = async (signal?: AbortSignal): Promise<RawAnswer> => {
      try {
        const agent = await upstream.agent();
        const response = await transport.request({
          method: endpoint.method,
          url: path,
          params: request.query,
          data: request.body,
          headers,
          httpAgent: agent,
          httpsAgent: agent,
          signal,
        });
        return { status: response.status, headers: stringHeaders(response), body: response.data };
      } catch (error) {
        if (signal?.aborted) throw signal.reason ?? error;
        if (isAxiosError(error) && (error.code === 'ECONNABORTED' || error.code === 'ETIMEDOUT')) {
          throw new UpstreamTimeoutError(options.service, timeoutMs);
        }
        throw upstream.unreachable(error);
      }
    };
    const response = options.policy
      ? await options.policy(
          { service: options.service, method: endpoint.method, path, headers },
          send,
        )
      : await send();

    const schema = endpoint.responses[response.status];
    if (!schema) {
      throw new UnexpectedResponseError(
        options.service,
        response.status,
        `status ${response.status}`,
      );
    }
    const parsed = schema.safeParse(response.body);
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
