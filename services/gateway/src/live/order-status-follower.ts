import {
  type EndUser,
  FINAL_ORDER_STATUSES,
  fillPath,
  ORDER_STATUS_EVENT,
  OrderStatusEvent,
  orderApi,
  type Problem,
  type SubscriptionTarget,
} from '@cheesecake/contracts';
import {
  correlationHeaders,
  type Downstream,
  type EventStreamListener,
  type EventStreamOpening,
  type Logger,
  ProblemError,
  UpstreamUnavailableError,
} from '@cheesecake/service-kit';

/** What a followed order stream reports. */
export interface FollowListener {
  /** The order service accepted the subscription; called once. */
  opened(): void;
  /** A status, starting with the current one for a single order. */
  event(event: OrderStatusEvent): void;
  /** The subscription ended for good: refused by the order service, or unreachable at first. */
  refused(problem: Problem): void;
  /** A single order reached a final status; its stream is over. */
  finished(): void;
}

/** How the follower reconnects. */
export interface OrderStatusFollowerOptions {
  log: Logger;
  /** The first pause before reconnecting a dropped stream; doubled up to ten times as long. */
  reconnectDelayMs?: number;
}

/**
 * Follows the order service's event streams for WebSocket subscribers: one order's, or every
 * order's for `"*"`, on behalf of the subscribing user, so that the order service decides what
 * the user may see. A stream that drops (a replica stopping, a restart) is opened again with
 * `Last-Event-ID`, so no change is lost or repeated; the order service's LISTEN/NOTIFY brings
 * each change to whichever replica holds the stream.
 *
 * Streams are opened through the order service's {@link Downstream}, so opening one goes
 * through its policies (timeout, bulkhead, retries, circuit breaker); an open stream holds none.
 */
export class OrderStatusFollower {
  readonly #order: Downstream;
  readonly #log: Logger;
  readonly #reconnectDelayMs: number;

  constructor(order: Downstream, options: OrderStatusFollowerOptions) {
    this.#order = order;
    this.#log = options.log;
    this.#reconnectDelayMs = options.reconnectDelayMs ?? 1_000;
  }

  /** Follows `target` as `user` until the returned function is called or the stream is over. */
  follow(target: SubscriptionTarget, user: EndUser, listener: FollowListener): () => void {
    const subscription = new Subscription(this.#order, {
      target,
      user,
      listener,
      log: this.#log,
      reconnectDelayMs: this.#reconnectDelayMs,
    });
    subscription.connect();
    return () => subscription.stop();
  }
}

/** One followed stream, across its reconnections. */
class Subscription {
  readonly #order: Downstream;
  readonly #target: SubscriptionTarget;
  readonly #user: EndUser;
  readonly #listener: FollowListener;
  readonly #log: Logger;
  readonly #reconnectDelayMs: number;
  readonly #path: string;
  // Reconnecting happens outside the request that subscribed: keep its correlation.
  readonly #correlation = correlationHeaders();
  readonly #stopping = new AbortController();
  #lastEventId: string | undefined;
  #opened = false;
  #finished = false;
  #failures = 0;
  #closeStream: (() => void) | undefined;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(
    order: Downstream,
    options: {
      target: SubscriptionTarget;
      user: EndUser;
      listener: FollowListener;
      log: Logger;
      reconnectDelayMs: number;
    },
  ) {
    this.#order = order;
    this.#target = options.target;
    this.#user = options.user;
    this.#listener = options.listener;
    this.#log = options.log;
    this.#reconnectDelayMs = options.reconnectDelayMs;
    this.#path =
      options.target === '*'
        ? orderApi.streamAllOrderEvents.path
        : fillPath(orderApi.streamOrderEvents.path, { orderId: options.target });
  }

  get #stopped(): boolean {
    return this.#stopping.signal.aborted;
  }

  get #requestId(): string {
    return this.#correlation['x-request-id'] ?? '';
  }

  stop(): void {
    this.#stopping.abort();
    clearTimeout(this.#retryTimer);
    this.#closeStream?.();
  }

  connect(): void {
    this.#open().catch((error: unknown) => this.#reconnect(String(error)));
  }

  async #open(): Promise<void> {
    if (this.#stopped) return;
    let opening: EventStreamOpening;
    try {
      opening = await this.#order.openEventStream(
        {
          path: this.#path,
          user: this.#user,
          headers: {
            ...this.#correlation,
            ...(this.#lastEventId !== undefined && { 'last-event-id': this.#lastEventId }),
          },
          signal: this.#stopping.signal,
        },
        this.#streamListener(),
      );
    } catch (error) {
      // Such as an open circuit: the subscriber hears the same problem a call would get.
      if (!this.#opened && error instanceof ProblemError) {
        this.#refuse(error.toProblem(this.#requestId));
        return;
      }
      this.#reconnect(error instanceof Error ? error.message : String(error));
      return;
    }
    if (!opening.opened) {
      // A refusal (404, 403, 400) is final; a failing service may recover.
      if (opening.problem && opening.problem.status < 500) this.#refuse(opening.problem);
      else this.#reconnect(`status ${opening.status}`);
      return;
    }
    this.#closeStream = opening.close;
    if (this.#stopped) opening.close();
  }

  #streamListener(): EventStreamListener {
    return {
      opened: () => {
        this.#failures = 0;
        if (this.#opened || this.#stopped) return;
        this.#opened = true;
        this.#listener.opened();
      },
      event: (message) => {
        if (message.event !== ORDER_STATUS_EVENT) return;
        const event = OrderStatusEvent.safeParse(safeJson(message.data));
        if (!event.success) {
          this.#log.warn(
            { target: this.#target },
            'an order event that does not match the contract',
          );
          return;
        }
        if (message.id !== undefined) this.#lastEventId = message.id;
        this.#listener.event(event.data);
        this.#finished = this.#target !== '*' && FINAL_ORDER_STATUSES.includes(event.data.status);
      },
      ended: () => {
        if (this.#stopped) return;
        if (this.#finished) {
          this.stop();
          this.#listener.finished();
        } else {
          this.#reconnect('the stream ended');
        }
      },
    };
  }

  #refuse(problem: Problem): void {
    this.stop();
    this.#listener.refused(problem);
  }

  #reconnect(reason: string): void {
    if (this.#stopped) return;
    // Unreachable before it ever answered: tell the subscriber rather than wait in silence.
    if (!this.#opened) {
      this.#refuse(new UpstreamUnavailableError('order', reason).toProblem(this.#requestId));
      return;
    }
    this.#failures += 1;
    const base = this.#reconnectDelayMs;
    const delayMs = Math.min(base * 2 ** (this.#failures - 1), base * 10);
    this.#log.warn(
      { target: this.#target, reason, retryInMs: delayMs },
      'order event stream dropped',
    );
    this.#retryTimer = setTimeout(() => this.connect(), delayMs);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
