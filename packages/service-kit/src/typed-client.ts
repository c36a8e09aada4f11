import {
  type Contract,
  type Endpoint,
  type EndUser,
  fillPath,
  type JsonRouteOf,
  type RequestOf,
  type ResponseOf,
} from '@cheesecake/contracts';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { UnexpectedResponseError, type Upstream } from './upstream.js';

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
  /** The downstream and how calls reach it: its name, base URL and replica connection pools. */
  upstream: Upstream;
  /**
   * Headers to add to every call, such as the internal credential, given who the call is
   * for and the method and path it is about to be sent to.
   */
  prepareHeaders?: (
    context: CallContext,
    target: RequestTarget,
  ) => Promise<Record<string, string>> | Record<string, string>;
  /** Runs every call: the downstream's resilience policies, which also time each attempt. */
  policy: CallPolicy;
}

/** One method per endpoint record: takes the declared request parts, resolves to a declared response. */
export type Client<C extends Contract> = {
  [K in JsonRouteOf<C>]: (
    request: RequestOf<C[K]>,
    context?: CallContext,
  ) => Promise<ResponseOf<C[K]>>;
};

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
 * body and headers through `policy`, and resolves to `{ status, body }` for any status the
 * record declares, with the body parsed by that status's schema. Any other status or body
 * throws {@link UnexpectedResponseError} (502); the policy and the upstream add 503 and 504.
 * Services make their clients with `Downstream.client`, which brings the credential, the
 * correlation and the policy.
 */
export function createClient<const C extends Contract>(
  contract: C,
  options: ClientOptions,
): Client<C> {
  const transport: AxiosInstance = axios.create({
    baseURL: options.upstream.baseUrl.href,
    // The policy times each attempt through the signal it gives it.
    timeout: 0,
    validateStatus: () => true,
    maxRedirects: 0,
    headers: { accept: 'application/json, application/problem+json' },
  });
  return Object.fromEntries(
    Object.entries(contract)
      .filter(([, endpoint]) => !endpoint.eventStream)
      .map(([name, endpoint]) => [
        name,
        (request: Record<string, unknown>, context?: CallContext) =>
          call(options, transport, endpoint, request, context),
      ]),
  ) as unknown as Client<C>;
}

/** One call of a typed client: the request sent through the policy, the answer read by the record. */
async function call(
  options: ClientOptions,
  transport: AxiosInstance,
  endpoint: Endpoint,
  request: Record<string, unknown>,
  context: CallContext = {},
) {
  const { upstream } = options;
  const path = fillPath(endpoint.path, request.params as Record<string, unknown> | undefined);
  const target = {
    method: endpoint.method.toUpperCase(),
    path: sentPath(upstream.baseUrl.pathname, path),
  };
  const headers: Record<string, string> = {
    ...(options.prepareHeaders ? await options.prepareHeaders(context, target) : {}),
    ...(request.headers as Record<string, string> | undefined),
  };
  if (context.requestId) headers['x-request-id'] = context.requestId;

  const send = async (signal: AbortSignal): Promise<RawAnswer> => {
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
      if (signal.aborted) throw signal.reason ?? error;
      throw upstream.unreachable(error);
    }
  };
  const answer = await options.policy(
    { service: upstream.service, method: endpoint.method, path, headers },
    send,
  );
  return readAnswer(upstream.service, endpoint, answer);
}

/** The answer as its record declares it, or {@link UnexpectedResponseError}. */
function readAnswer(service: string, endpoint: Endpoint, answer: RawAnswer) {
  const schema = endpoint.responses[answer.status];
  if (!schema) {
    throw new UnexpectedResponseError(service, answer.status, `status ${answer.status}`);
  }
  const parsed = schema.safeParse(answer.body);
  if (!parsed.success) {
    throw new UnexpectedResponseError(
      service,
      answer.status,
      `a ${answer.status} body that does not match the contract`,
    );
  }
  return { status: answer.status, body: parsed.data };
}
