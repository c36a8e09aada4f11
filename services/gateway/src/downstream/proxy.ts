import type http from 'node:http';
import { finished, Transform } from 'node:stream';
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
  type Downstream,
  endOnShutdown,
  handlerContext,
  hasRequestBody,
  ProblemError,
  parseRequest,
  requireUser,
} from '@cheesecake/service-kit';
import type { Request, RequestHandler, Response } from 'express';
import { credentialRefused } from './downstreams.js';

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
 * Forwards public routes to a service, streaming both bodies: the gateway checks who may call
 * and validates the path, query and headers, but never parses or re-serializes a body; the
 * service validates it against the same contract. An event stream passes through as it is
 * written.
 *
 * Every call goes through the service's {@link Downstream}: its policies until the answer
 * starts (retries only for a call that may be repeated and has no body, since a streamed body
 * cannot be sent twice), and nothing once an event stream is open.
 */
export class ServiceProxy {
  readonly #downstream: Downstream;
  readonly #publicPrefix: string;
  readonly #bodyLimitBytes: number;

  /**
   * `publicPrefix` is where the service's paths sit in the public API: `/api` for `/orders`,
   * `/api/kitchen` for `/tickets`. `bodyLimitBytes` is the largest request body passed on.
   */
  constructor(downstream: Downstream, options: { publicPrefix: string; bodyLimitBytes: number }) {
    this.#downstream = downstream;
    this.#publicPrefix = options.publicPrefix;
    this.#bodyLimitBytes = options.bodyLimitBytes;
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
    const limit = this.#bodyLimitBytes;
    const declaredLength = Number(req.headers['content-length'] ?? 0);
    if (declaredLength > limit) throw tooLarge(limit);

    const clientGone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) clientGone.abort();
    });
    const answer = await this.#downstream.send({
      method: req.method,
      path,
      headers: pick(req.headers, FORWARDED_REQUEST_HEADERS),
      user,
      // The client's body streams on as it arrives, counted against the limit.
      body: hasRequestBody(req) ? (upstream) => pipeline(req, limitTo(limit), upstream) : undefined,
      signal: clientGone.signal,
    });

    const { service } = this.#downstream;
    if (answer.statusCode === 401) {
      answer.resume();
      throw credentialRefused(service);
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
    await relay(answer, res).finally(release);
  }

  #publicHeader(name: string, value: string | string[]): string | string[] {
    if (name === 'location' && typeof value === 'string' && value.startsWith('/')) {
      return this.#publicPrefix + value;
    }
    return value;
  }
}

/**
 * Streams the service's answer to the client. A service that fails halfway leaves the client a
 * broken answer, never one that looks complete; a client that goes away ends the service's
 * answer too. (`pipeline` does both, but puts seven listeners on the response, which with the
 * edge's own crosses Node's leak warning on every request.)
 */
function relay(answer: http.IncomingMessage, res: Response): Promise<void> {
  return new Promise((resolve) => {
    finished(answer, (error) => {
      if (error) res.destroy();
    });
    res.once('close', () => {
      if (!answer.complete) answer.destroy();
      resolve();
    });
    answer.pipe(res);
  });
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
