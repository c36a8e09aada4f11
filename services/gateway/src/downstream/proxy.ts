import http from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type Endpoint,
  type EndUser,
  FAILED_SERVICE_HEADER,
  fillPath,
  type PublicEndpoint,
  problemTypes,
  type Role,
} from '@cheesecake/contracts';
import {
  correlationHeaders,
  DownstreamPolicy,
  endOnShutdown,
  handlerContext,
  hasRequestBody,
  incomingMessageTraits,
  internalHeaders,
  isRetriable,
  ProblemError,
  parseRequest,
  requireUser,
  responseOf,
  UnexpectedResponseError,
  Upstream,
} from '@cheesecake/service-kit';
import type { Request, RequestHandler, Response } from 'express';
import type { DownstreamName } from './downstreams.js';

/** Where one service is and how the gateway calls it. */
export interface ProxyTarget {
  service: DownstreamName;
  baseUrl: string;
  /** Where the service's paths sit in the public API: `/api` for `/orders`, `/api/kitchen` for `/tickets`. */
  publicPrefix: string;
  /**
   * The resilience policies calls to the service go through, to share them with the
   * gateway's other callers of it; by default the proxy makes its own.
   */
  policy?: DownstreamPolicy;
}

/** What every forwarded call shares. */
export interface ProxyOptions {
  /** The secret internal credentials are signed with. */
  secret: string;
  /** How long a service may take to start answering, waiting for a place and retries included. */
  timeoutMs: number;
  /** The largest request body passed on, in bytes. */
  bodyLimitBytes: number;
}

// Only what the services' contracts read: a client's own Authorization, X-User-Id or any
// other identity header never reaches a service.
const FORWARDED_REQUEST_HEADERS = [
  'accept',
  'content-type',
  'content-length',
  'content-encoding',
  'last-event-id',
  'idempotency-key',
] as const;

// The gateway sets its own caching, security and correlation headers; of a service's
// answer it keeps only what describes the body and what the client may act on.
const FORWARDED_RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'location',
  'retry-after',
  'idempotent-replayed',
  'x-accel-buffering',
  // A service passing on its own downstream's failure names it.
  FAILED_SERVICE_HEADER,
] as const;

/**
 * Forwards public routes to a service over pooled keep-alive connections (one pool per
 * replica), streaming both bodies: the gateway checks who may call and validates the path,
 * query and headers, but never parses or re-serializes a body; the service validates it
 * against the same contract. An event stream passes through as it is written.
 *
 * Every call goes through the service's {@link DownstreamPolicy} until the answer starts: a
 * timeout, a bulkhead, the circuit breaker, and retries for a call that may be repeated and
 * has no body, since a streamed body cannot be sent twice. An event stream is held by
 * nothing once it is open.
 */
export class ServiceProxy {
  readonly #target: ProxyTarget;
  readonly #options: ProxyOptions;
  readonly #policy: DownstreamPolicy;
  readonly #credential: ReturnType<typeof internalHeaders>;
  readonly #upstream: Upstream;

  constructor(target: ProxyTarget, options: ProxyOptions) {
    this.#target = target;
    this.#options = options;
    this.#upstream = new Upstream(target.service, target.baseUrl);
    this.#credential = internalHeaders({
      secret: options.secret,
      issuer: 'gateway',
      audience: target.service,
    });
    this.#policy =
      target.policy ??
      new DownstreamPolicy({ service: target.service, timeoutMs: options.timeoutMs });
  }

  /** The handler of a public route for signed-in users that the service answers with `route`. */
  forward(
    publicRoute: PublicEndpoint & { access: readonly Role[] },
    route: Endpoint,
  ): RequestHandler {
    const { body: _body, ...withoutBody } = publicRoute;
    return async (req, res) => {
      const user = requireUser(handlerContext(req, res).caller, publicRoute.access);
      parseRequest(withoutBody, req);
      const path = fillPath(route.path, req.params) + queryStringOf(req.originalUrl);
      await this.#send(req, res, path, user);
    };
  }

  async #send(req: Request, res: Response, path: string, user: EndUser): Promise<void> {
    const { service } = this.#target;
    const { bodyLimitBytes } = this.#options;
    const declaredLength = Number(req.headers['content-length'] ?? 0);
    if (declaredLength > bodyLimitBytes) throw tooLarge(bodyLimitBytes);

    const url = new URL(path, this.#target.baseUrl);
    const headers: Record<string, string> = {
      ...pick(req.headers, FORWARDED_REQUEST_HEADERS),
      ...correlationHeaders(),
      // Signed for this request line only: the method and the path as sent, without the query.
      ...(await this.#credential({ user }, { method: req.method, path: url.pathname })),
    };
    const withoutBody = !hasRequestBody(req);

    // Why the request body could not be passed on (over the limit, or the client went away).
    let bodyFailure: unknown;
    let current: http.ClientRequest | undefined;
    const clientGone = new AbortController();
    res.once('close', () => {
      if (res.writableFinished) return;
      clientGone.abort();
      current?.destroy();
    });
    const attempt = async (signal: AbortSignal) => {
      const agent = await this.#upstream.agent();
      if (signal.aborted) throw signal.reason;
      const upstream = http.request(url, { method: req.method, headers, agent });
      current = upstream;
      const answer = responseOf(
        upstream,
        signal,
        (error) => bodyFailure ?? this.#upstream.unreachable(error),
      );
      if (withoutBody) {
        upstream.end();
      } else {
        // The client's body streams on as it arrives, counted against the limit.
        pipeline(req, limitTo(bodyLimitBytes), upstream).catch((error: unknown) => {
          bodyFailure = error;
          upstream.destroy();
        });
      }
      return answer;
    };
    const answer = await this.#policy.execute(attempt, {
      ...incomingMessageTraits,
      retriable: withoutBody && isRetriable(req.method, req.headers),
      signal: clientGone.signal,
    });

    if (answer.statusCode === 401) {
      answer.resume();
      throw new UnexpectedResponseError(service, 401, "it refused the gateway's credential");
    }
    res.status(answer.statusCode ?? 502);
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = answer.headers[name];
      if (value !== undefined) res.setHeader(name, this.#publicHeader(name, value));
    }
    // A 5xx that names no other service is the service's own failure, not the gateway's.
    if (res.statusCode >= 500 && !res.hasHeader(FAILED_SERVICE_HEADER)) {
      res.setHeader(FAILED_SERVICE_HEADER, service);
    }
    // An event stream stays open until the service ends it: shutdown must not wait for it.
    const release = answer.headers['content-type']?.startsWith('text/event-stream')
      ? endOnShutdown(req.app, () => res.end())
      : undefined;
    // A service that fails halfway leaves the client a broken answer, never one that looks complete.
    await pipeline(answer, res)
      .catch(() => res.destroy())
      .finally(release);
  }

  #publicHeader(name: string, value: string | string[]): string | string[] {
    if (name === 'location' && typeof value === 'string' && value.startsWith('/')) {
      return this.#target.publicPrefix + value;
    }
    return value;
  }
}

function queryStringOf(url: string): string {
  const start = url.indexOf('?');
  return start === -1 ? '' : url.slice(start);
}

function pick(headers: http.IncomingHttpHeaders, names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    if (typeof value === 'string') picked[name] = value;
  }
  return picked;
}

function tooLarge(limit: number): ProblemError {
  return new ProblemError(
    problemTypes.payloadTooLarge,
    `The request body is larger than ${limit} bytes`,
  );
}

/** Passes bytes through until more than `limit` have gone by, then fails with 413. */
function limitTo(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      callback(seen > limit ? tooLarge(limit) : null, chunk);
    },
  });
}
