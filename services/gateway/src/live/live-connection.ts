import {
  type EndUser,
  LiveClientMessage,
  type LiveServerMessage,
  problemTypes,
  type SubscriptionTarget,
} from '@cheesecake/contracts';
import {
  type Correlation,
  inSpan,
  type Logger,
  ProblemError,
  runWithCorrelation,
  ValidationError,
} from '@cheesecake/service-kit';
import { type RawData, WebSocket } from 'ws';
import { RequestBudgets, type UserLimits } from '../edge/user-limits.js';
import type { OrderStatusFollower } from './order-status-follower.js';

/** What one connection needs besides its socket. */
export interface LiveConnectionDeps {
  follower: OrderStatusFollower;
  limits: UserLimits;
  log: Logger;
  maxSubscriptions: number;
  heartbeatMs: number;
}

/** Who opened the connection, until when their token holds, and the handshake's correlation. */
export interface LiveConnectionOwner {
  user: EndUser;
  expiresAt: number;
  correlation: Correlation;
}

/** Close code 1008: the access token has expired. */
const POLICY_VIOLATION = 1008;

/**
 * One accepted WebSocket: the subscriptions it holds, each a stream from the order service
 * followed as its user, answered in the order the client sent them.
 */
export class LiveConnection {
  readonly #ws: WebSocket;
  readonly #owner: LiveConnectionOwner;
  readonly #deps: LiveConnectionDeps;
  readonly #log: Logger;
  /** Each subscription's stop: ends its stream, its span and gives back its stream quota. */
  readonly #subscriptions = new Map<SubscriptionTarget, () => void>();
  #handled: Promise<void> = Promise.resolve();

  constructor(ws: WebSocket, owner: LiveConnectionOwner, deps: LiveConnectionDeps) {
    this.#ws = ws;
    this.#owner = owner;
    this.#deps = deps;
    this.#log = deps.log.child({ userId: owner.user.id, reqId: owner.correlation.requestId });
    ws.on('message', (data: RawData, isBinary: boolean) => this.#receive(data, isBinary));
    ws.on('error', (error) => this.#log.warn({ err: error }, 'WebSocket error'));
    this.#endWhenGone();
  }

  #receive(data: RawData, isBinary: boolean): void {
    const message = isBinary ? undefined : parseMessage(data);
    if (message instanceof ValidationError || message === undefined) {
      this.#sendError(
        message ?? new ProblemError(problemTypes.badRequest, 'Send JSON text messages'),
      );
      return;
    }
    // In the order they came, though a subscription waits for its budget; every call a
    // subscription makes carries the handshake's request id and trace.
    this.#handled = this.#handled
      .then(() =>
        runWithCorrelation(this.#owner.correlation, () =>
          message.type === 'subscribe'
            ? this.#subscribe(message.orderId)
            : this.#unsubscribe(message.orderId),
        ),
      )
      .catch((error: unknown) => this.#log.error({ err: error }, 'a message failed'));
  }

  async #subscribe(orderId: SubscriptionTarget): Promise<void> {
    const { user } = this.#owner;
    const { limits, maxSubscriptions } = this.#deps;
    if (this.#subscriptions.has(orderId)) {
      this.#send({ type: 'subscribed', orderId });
      return;
    }
    if (orderId === '*' && user.role === 'customer') {
      const message = 'Only the kitchen and admins follow every order';
      this.#sendError(new ProblemError(problemTypes.forbidden, message), orderId);
      return;
    }
    if (this.#subscriptions.size >= maxSubscriptions) {
      const message = `A connection may follow at most ${maxSubscriptions} subscriptions`;
      this.#sendError(new ProblemError(problemTypes.badRequest, message), orderId);
      return;
    }
    // Each subscription is a request to the order service, refused or not, and holds a
    // stream from it while it lasts: it spends from the user's budget and stream quota.
    let release: () => void;
    try {
      await limits.budgets.spend(RequestBudgets.keyOf(user, undefined));
      release = limits.streams.take(user);
    } catch (error) {
      if (error instanceof ProblemError) this.#sendError(error, orderId);
      return;
    }
    if (this.#ws.readyState !== WebSocket.OPEN || this.#subscriptions.has(orderId)) {
      release();
      return;
    }
    this.#follow(orderId, release);
  }

  /** Follows one target inside a span that stays open while the subscription lasts. */
  #follow(orderId: SubscriptionTarget, release: () => void): void {
    let endSpan = () => {};
    let stopFollowing = () => {};
    const ended = new Promise<void>((resolve) => {
      endSpan = resolve;
    });
    const attributes = { 'cheesecake.order.id': orderId, 'user.id': this.#owner.user.id };
    void inSpan('live subscription', { attributes }, async () => {
      const finished = () => {
        this.#subscriptions.delete(orderId);
        release();
        endSpan();
      };
      stopFollowing = this.#deps.follower.follow(orderId, this.#owner.user, {
        opened: () => this.#send({ type: 'subscribed', orderId }),
        event: (message) => this.#send(message),
        refused: (problem) => {
          finished();
          this.#send({ type: 'error', orderId, problem });
        },
        finished,
      });
      await ended;
    });
    this.#subscriptions.set(orderId, () => {
      stopFollowing();
      release();
      endSpan();
    });
  }

  #unsubscribe(orderId: SubscriptionTarget): void {
    this.#subscriptions.get(orderId)?.();
    this.#subscriptions.delete(orderId);
    this.#send({ type: 'unsubscribed', orderId });
  }

  /** A connection that stops answering pings is gone; so is one whose token has expired. */
  #endWhenGone(): void {
    let alive = true;
    this.#ws.on('pong', () => {
      alive = true;
    });
    const heartbeat = setInterval(() => {
      if (!alive) {
        this.#ws.terminate();
        return;
      }
      alive = false;
      this.#ws.ping();
    }, this.#deps.heartbeatMs);
    const expiry = setTimeout(
      () => this.#ws.close(POLICY_VIOLATION, 'the access token has expired'),
      Math.max(0, this.#owner.expiresAt - Date.now()),
    );
    this.#ws.on('close', () => {
      clearInterval(heartbeat);
      clearTimeout(expiry);
      for (const stop of this.#subscriptions.values()) stop();
      this.#subscriptions.clear();
    });
  }

  #send(message: LiveServerMessage): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(message));
  }

  #sendError(error: ProblemError, orderId?: SubscriptionTarget): void {
    const problem = error.toProblem(this.#owner.correlation.requestId);
    this.#send({ type: 'error', ...(orderId && { orderId }), problem });
  }
}

function parseMessage(data: RawData): LiveClientMessage | ValidationError | undefined {
  let json: unknown;
  try {
    json = JSON.parse(data.toString());
  } catch {
    return undefined;
  }
  const parsed = LiveClientMessage.safeParse(json);
  return parsed.success
    ? parsed.data
    : new ValidationError(
        parsed.error.issues.map((issue) => ({
          path: issue.path.map(String).join('.'),
          message: issue.message,
        })),
      );
}
