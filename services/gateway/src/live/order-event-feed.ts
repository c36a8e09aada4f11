import http from 'node:http';
import {
  type EndUser,
  FINAL_ORDER_STATUSES,
  fillPath,
  ORDER_STATUS_EVENT,
  OrderStatusEvent,
  orderApi,
  Problem,
  type SubscriptionTarget,
} from '@cheesecake/contracts';
import {
  correlationHeaders,
  DownstreamPolicy,
  incomingMessageTraits,
  internalHeaders,
  type Logger,
  ProblemError,
  responseOf,
  Upstream,
  UpstreamUnavailableError,
} from '@cheesecake/service-kit';
import { createParser } from 'eventsource-parser';

/** What a followed order stream reports. */
export interface FeedListener {
  /** The order service accepted the subscription; called once. */
  opened(): void;
  /** A status, starting with the current one for a single order. */
  event(event: OrderStatusEvent): void;
  /** The subscription ended for good: refused by the order service, or unreachable at first. */
  refused(problem: Problem): void;
  /** A single order reached a final status; its stream is over. */
  finished(): void;
}

/** Where the order service is and how the gateway calls it. */
export interface OrderEventFeedOptions {
  baseUrl: string;
  secret: string;
  /** How long the order service may take to start answering a stream, retries included. */
  timeoutMs: number;
  log: Logger;
  /**
   * The resilience policies opening a stream goes through, to share them with the gateway's
   * other callers of the order service; by default the feed makes its own.
   */
  policy?: DownstreamPolicy;
  /** The first pause before reconnecting a dropped stream; doubled up to ten times as long. */
  reconnectDelayMs?: number;
}

const MAX_PROBLEM_BYTES = 16 * 1024;

/**
 * Follows the order service's event streams for WebSocket subscribers: one order's, or every
 * order's for `"*"`, on behalf of the subscribing user, so that the order service decides what
 * the user may see. A stream that drops (a replica stopping, a restart) is opened again with
 * `Last-Event-ID`, so no change is lost or repeated; the order service's LISTEN/NOTIFY brings
 * each change to whichever replica holds the stream.
 *
 * Opening a stream goes through the order service's {@link DownstreamPolicy} (timeout,
 * bulkhead, retries, circuit breaker); an open stream holds none of them.
 */
export class OrderEventFeed {
  readonly #options: OrderEventFeedOptions;
  readonly #policy: DownstreamPolicy;
  readonly #credential: ReturnType<typeof internalHeaders>;
  readonly #upstream: Upstream;

  constructor(options: OrderEventFeedOptions) {
    this.#options = options;
    this.#upstream = new Upstream('order', options.baseUrl);
    this.#credential = internalHeaders({
      secret: options.secret,
      issuer: 'gateway',
      audience: 'order',
    });
    this.#policy =
      options.policy ??
      new DownstreamPolicy({ service: 'order', timeoutMs: options.timeoutMs, log: options.log });
  }

  /** Follows `target` as `user` until the returned function is called or the stream is over. */
  follow(target: SubscriptionTarget, user: EndUser, listener: FeedListener): () => void {
    const path =
      target === '*'
        ? orderApi.streamAllOrderEvents.path
        : fillPath(orderApi.streamOrderEvents.path, { orderId: target });
    const url = new URL(path, this.#options.baseUrl);
    const correlation = correlationHeaders();
    const baseDelayMs = this.#options.reconnectDelayMs ?? 1_000;
    let lastEventId: string | undefined;
    let opened = false;
    let stopped = false;
    let failures = 0;
    let current: http.ClientRequest | undefined;
    let retryTimer: NodeJS.Timeout | undefined;

    const stopping = new AbortController();
    const stop = () => {
      stopped = true;
      stopping.abort();
      clearTimeout(retryTimer);
      current?.destroy();
    };
    const refuse = (problem: Problem) => {
      stop();
      listener.refused(problem);
    };
    const reconnect = (reason: string) => {
      if (stopped) return;
      // Unreachable before it ever answered: tell the subscriber rather than wait in silence.
      if (!opened) {
        refuse(
          new UpstreamUnavailableError('order', reason).toProblem(
            correlation['x-request-id'] ?? '',
          ),
        );
        return;
      }
      failures += 1;
      const delayMs = Math.min(baseDelayMs * 2 ** (failures - 1), baseDelayMs * 10);
      this.#options.log.warn({ target, reason, retryInMs: delayMs }, 'order event stream dropped');
      retryTimer = setTimeout(connect, delayMs);
    };

    const open = async (signal: AbortSignal) => {
      const credential = await this.#credential({ user }, { method: 'GET', path: url.pathname });
      const agent = await this.#upstream.agent();
      if (signal.aborted) throw signal.reason;
      const request = http.request(url, {
        headers: {
          accept: 'text/event-stream',
          ...credential,
          ...correlation,
          ...(lastEventId !== undefined && { 'last-event-id': lastEventId }),
        },
        agent,
      });
      current = request;
      const answer = responseOf(request, signal, (error) => this.#upstream.unreachable(error));
      request.end();
      return answer;
    };

    const connect = async () => {
      if (stopped) return;
      let response: http.IncomingMessage;
      try {
        response = await this.#policy.execute(open, {
          ...incomingMessageTraits,
          retriable: true,
          signal: stopping.signal,
        });
      } catch (error) {
        // Such as an open circuit: the subscriber hears the same problem a call would get.
        if (!opened && error instanceof ProblemError) {
          refuse(error.toProblem(correlation['x-request-id'] ?? ''));
          return;
        }
        reconnect(error instanceof Error ? error.message : String(error));
        return;
      }
      if (response.statusCode !== 200) {
        readProblem(response).then((problem) =>
          // A refusal (404, 403, 400) is final; a failing service may recover.
          problem && problem.status < 500
            ? refuse(problem)
            : reconnect(`status ${response.statusCode}`),
        );
        return;
      }
      failures = 0;
      if (!opened) {
        opened = true;
        listener.opened();
      }
      let finished = false;
      const parser = createParser({
        onEvent: (message) => {
          if (message.event !== ORDER_STATUS_EVENT) return;
          const event = OrderStatusEvent.safeParse(safeJson(message.data));
          if (!event.success) {
            this.#options.log.warn({ target }, 'an order event that does not match the contract');
            return;
          }
          if (message.id !== undefined) lastEventId = message.id;
          listener.event(event.data);
          finished = target !== '*' && FINAL_ORDER_STATUSES.includes(event.data.status);
        },
      });
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => parser.feed(chunk));
      response.on('close', () => {
        if (stopped) return;
        if (finished) {
          stop();
          listener.finished();
        } else {
          reconnect('the stream ended');
        }
      });
    };

    connect().catch((error: unknown) => reconnect(String(error)));
    return stop;
  }
}

/** The problem document of a refused stream, if its body is one. */
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
  const problem = Problem.safeParse(safeJson(body));
  return problem.success ? problem.data : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
