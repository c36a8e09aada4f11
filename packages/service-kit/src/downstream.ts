import http from 'node:http';
import { type Contract, type EndUser, FAILED_SERVICE_HEADER, Problem } from '@cheesecake/contracts';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { correlationHeaders } from './correlation.js';
import { internalHeaders } from './internal-auth.js';
import { deliveryHeaders } from './outbox.js';
import type { ReplicaBalancer } from './replica-balancer.js';
import type { CallTraits, DownstreamPolicy } from './resilience.js';
import { isRetriable } from './resilience-settings.js';
import { type Client, createClient, type RequestTarget } from './typed-client.js';
import { Upstream } from './upstream.js';

/** One service this service calls, and what every call to it carries and goes through. */
export interface DownstreamOptions {
  /** The calling service's name: the internal credential's issuer. */
  from: string;
  /** The called service's name: the credential's audience, and the name in errors and logs. */
  to: string;
  /** The called service's base URL, such as `http://payment:3002`. */
  baseUrl: string;
  /** The secret internal credentials are signed with. */
  secret: string;
  /**
   * The resilience policies every call to `to` goes through (its `service` is `to`): one per
   * downstream, so that one breaker and one bulkhead guard it whichever way it is called.
   */
  policy: DownstreamPolicy;
  /** Spreads the calls over the replicas; by default the one this process shares. */
  balancer?: ReplicaBalancer;
}

/** A request whose body, if it has one, is streamed to the downstream as it comes. */
export interface StreamedCall {
  method: string;
  /** The path under the base URL, with its query string. */
  path: string;
  /** The request's own headers, such as `content-type` or `idempotency-key`. */
  headers: Record<string, string>;
  /** The end user the call acts for, carried in the credential. */
  user?: EndUser;
  /**
   * Writes the body into the request and ends it, rejecting when it cannot (the call then
   * fails with that reason). A call with a body is sent once: a stream cannot be sent twice.
   */
  body?: (request: http.ClientRequest) => Promise<void>;
  /** Ends the call when whoever waits for it gives up, such as a client going away. */
  signal?: AbortSignal;
}

/** What became of opening an event stream. */
export type EventStreamOpening =
  | { opened: true /** Ends the stream; `ended` is still told. */; close(): void }
  | {
      opened: false;
      status: number /** The refusal, when its body is a problem. */;
      problem?: Problem;
    };

/** Where the events of an opened stream go. */
export interface EventStreamListener {
  /** The downstream accepted the stream; called before its first event. */
  opened(): void;
  /** One event, as the stream sent it. */
  event(message: EventSourceMessage): void;
  /** The stream is over: ended by the downstream, broken, or closed. */
  ended(): void;
}

const MAX_PROBLEM_BYTES = 16 * 1024;

/**
 * The one way a service calls another: JSON calls through typed clients of its contracts, a
 * request streamed through, and an event stream read. Every call carries a fresh internal
 * credential for its method and path (with the end user, when there is one) and the
 * correlation of the work it is made for (request id and trace, and the message id of an
 * outbox delivery); it goes over a keep-alive pool to one replica at a time, through the
 * downstream's {@link DownstreamPolicy}; and failing to get an answer becomes a 503 or 504
 * problem naming the downstream.
 */
export class Downstream {
  /** The downstream's name (`order`, `payment`, …). */
  readonly service: string;
  /** The policies the calls go through, shared with every other caller of this downstream. */
  readonly policy: DownstreamPolicy;
  readonly #upstream: Upstream;
  readonly #credential: ReturnType<typeof internalHeaders>;

  constructor(options: DownstreamOptions) {
    if (options.policy.service !== options.to) {
      throw new Error(
        `The policy of ${options.policy.service} cannot guard calls to ${options.to}`,
      );
    }
    this.service = options.to;
    this.policy = options.policy;
    this.#upstream = new Upstream(options.to, options.baseUrl, options.balancer);
    this.#credential = internalHeaders({
      secret: options.secret,
      issuer: options.from,
      audience: options.to,
    });
  }

  /** The base URL calls are sent under. */
  get baseUrl(): URL {
    return this.#upstream.baseUrl;
  }

  /**
   * A typed client of `contract`: one method per JSON record, resolving to a declared status
   * and body, retried by the policy when the call is safe to repeat.
   */
  client<const C extends Contract>(contract: C): Client<C> {
    return createClient(contract, {
      upstream: this.#upstream,
      policy: this.policy.forClient,
      prepareHeaders: (context, target) => this.#headers(context.user, target),
    });
  }

  /**
   * Sends `call` and resolves to the answer as soon as it starts, its body unread. Without a
   * body, an idempotent or keyed call may be sent again by the policy.
   */
  async send(call: StreamedCall): Promise<http.IncomingMessage> {
    const url = new URL(call.path, this.#upstream.baseUrl);
    const headers = {
      ...call.headers,
      // Signed for this request line only: the method and the path as sent, without the query.
      ...(await this.#headers(call.user, { method: call.method, path: url.pathname })),
    };
    // Why the body could not be sent (over a limit, or the client went away).
    let bodyFailure: unknown;
    const attempt = async (signal: AbortSignal) => {
      const agent = await this.#upstream.agent();
      if (signal.aborted) throw signal.reason;
      const request = http.request(url, { method: call.method, headers, agent });
      const answer = responseOf(
        request,
        signal,
        (error) => bodyFailure ?? this.#upstream.unreachable(error),
      );
      if (call.body) {
        call.body(request).catch((error: unknown) => {
          bodyFailure = error;
          request.destroy();
        });
      } else {
        request.end();
      }
      return answer;
    };
    return this.policy.execute(attempt, {
      ...incomingMessageTraits,
      retriable: !call.body && isRetriable(call.method, call.headers),
      signal: call.signal,
    });
  }

  /**
   * Opens the event stream at `path` and hands its events to `listener` until it ends. Only
   * opening goes through the policy; an open stream holds no place in it. A refusal resolves
   * with its status and problem; failing to reach the downstream rejects as {@link send} does.
   */
  async openEventStream(
    call: Omit<StreamedCall, 'method' | 'body'>,
    listener: EventStreamListener,
  ): Promise<EventStreamOpening> {
    const response = await this.send({
      ...call,
      method: 'GET',
      headers: { accept: 'text/event-stream', ...call.headers },
    });
    if (response.statusCode !== 200) {
      return {
        opened: false,
        status: response.statusCode ?? 502,
        problem: await readProblem(response),
      };
    }
    listener.opened();
    const parser = createParser({ onEvent: (message) => listener.event(message) });
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => parser.feed(chunk));
    // A stream that breaks ends as one that is closed: `close` follows the error.
    response.on('error', () => {});
    response.on('close', () => listener.ended());
    return { opened: true, close: () => response.destroy() };
  }

  async #headers(
    user: EndUser | undefined,
    target: RequestTarget,
  ): Promise<Record<string, string>> {
    return {
      ...correlationHeaders(),
      // X-Message-Id when the call delivers an outbox message, so the receiver can tell a copy.
      ...deliveryHeaders(),
      ...(await this.#credential({ user }, target)),
    };
  }
}

/**
 * How the policies judge a `node:http` answer (status, `Retry-After`, `X-Failed-Service`),
 * and free one dropped for a retry.
 */
const incomingMessageTraits: Pick<CallTraits<http.IncomingMessage>, 'read' | 'discard'> = {
  read: (answer) => ({
    status: answer.statusCode ?? 502,
    retryAfter: firstHeader(answer.headers['retry-after']),
    failedService: firstHeader(answer.headers[FAILED_SERVICE_HEADER]),
  }),
  discard: (answer) => answer.resume(),
};

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The answer to a `node:http` request, as one attempt of a {@link DownstreamPolicy}: resolves
 * with its response, rejects with `failure(error)` when it fails before one, and destroys it
 * and rejects with the signal's reason once `signal` aborts. It settles in every case, which
 * the policies wait for to give the call's place to another.
 */
function responseOf(
  request: http.ClientRequest,
  signal: AbortSignal,
  failure: (error: Error) => unknown,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const giveUp = () => {
      request.destroy();
      reject(signal.reason);
    };
    signal.addEventListener('abort', giveUp, { once: true });
    request.once('response', (response) => {
      signal.removeEventListener('abort', giveUp);
      resolve(response);
    });
    // Stays attached once answered: a later error belongs to the response, and must not crash.
    request.on('error', (error) => {
      signal.removeEventListener('abort', giveUp);
      reject(failure(error));
    });
  });
}

/** The problem document of a refused call, if its body is one. */
async function readProblem(response: http.IncomingMessage): Promise<Problem | undefined> {
  let body = '';
  response.setEncoding('utf8');
  try {
    for await (const chunk of response) {
      body += chunk;
      if (body.length > MAX_PROBLEM_BYTES) return undefined;
    }
  } catch {
    return undefined;
  }
  try {
    const problem = Problem.safeParse(JSON.parse(body));
    return problem.success ? problem.data : undefined;
  } catch {
    return undefined;
  }
}
