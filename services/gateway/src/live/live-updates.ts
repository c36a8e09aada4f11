import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  type EndUser,
  gatewayApi,
  LiveClientMessage,
  type LiveServerMessage,
  PROBLEM_CONTENT_TYPE,
  problemTypes,
  type SubscriptionTarget,
} from '@cheesecake/contracts';
import {
  type Correlation,
  correlationFromHeaders,
  inSpan,
  type Logger,
  ProblemError,
  runWithCorrelation,
  ValidationError,
} from '@cheesecake/service-kit';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { AccessTokens } from '../auth/access-tokens.js';
import { expiryOf, userOfAccessToken } from '../auth/authentication.js';
import { RequestBudgets, type UserLimits } from '../edge/user-limits.js';
import { InvalidAccessTokenError, MissingAccessTokenError } from '../errors.js';
import type { OrderStatusFollower } from './order-status-follower.js';

/** What the WebSocket endpoint is built from. */
export interface LiveUpdatesDeps {
  tokens: AccessTokens;
  follower: OrderStatusFollower;
  /** The budgets handshakes and subscriptions spend from, and the streams each user may hold. */
  limits: UserLimits;
  log: Logger;
  /** Subscriptions one connection may hold at once; default 50. */
  maxSubscriptions?: number;
  /** How often a connection is pinged; one that missed the last ping is dropped. Default 30 s. */
  heartbeatMs?: number;
}

/** The largest message a client may send; subscribe and unsubscribe are far smaller. */
const MAX_MESSAGE_BYTES = 4 * 1024;

/** Close codes: 1001 the gateway is going away, 1008 the access token has expired. */
const GOING_AWAY = 1001;
const POLICY_VIOLATION = 1008;

/**
 * `GET /api/ws`: the WebSocket side of live order status. The handshake carries the access
 * token as `?access_token=` (browsers cannot set headers on a WebSocket) and is refused with a
 * problem document, like any other request, when it is missing or not valid. Each
 * `subscribe` follows one order's event stream, or every order's for `"*"` (kitchen and
 * admins), as the user: the order service answers 404 for someone else's order, so ownership
 * is checked per subscription, exactly as on `GET /api/orders/{id}/events`.
 */
export class LiveUpdates {
  readonly #deps: LiveUpdatesDeps;
  readonly #server = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  constructor(deps: LiveUpdatesDeps) {
    this.#deps = deps;
  }

  /** The `upgrade` listener of the gateway's HTTP server. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const correlation = correlationFromHeaders(req.headers);
    socket.on('error', () => socket.destroy());
    runWithCorrelation(correlation, () =>
      this.#accept(req, socket, head, correlation).catch((error: unknown) => {
        const problem =
          error instanceof ProblemError
            ? error
            : new ProblemError(problemTypes.internal, 'The handshake failed');
        if (!(error instanceof ProblemError)) {
          this.#deps.log.error({ err: error, reqId: correlation.requestId }, 'handshake failed');
        }
        refuseHandshake(socket, problem, correlation.requestId);
      }),
    );
  };

  /** Closes every connection, telling clients the gateway is going away; drops any that do not answer within a second. */
  close(): void {
    for (const client of this.#server.clients) {
      client.close(GOING_AWAY, 'the gateway is stopping');
      setTimeout(() => client.terminate(), 1_000).unref();
    }
  }

  async #accept(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    correlation: Correlation,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== gatewayApi.liveUpdates.path) {
      throw new ProblemError(problemTypes.notFound, `No WebSocket at ${url.pathname}`);
    }
    const token = url.searchParams.get('access_token') ?? undefined;
    const { budgets } = this.#deps.limits;
    const address = req.socket.remoteAddress;
    // A handshake is a request like any other: it spends from the user's budget, or from the
    // address's when its token does not verify.
    const user = await userOfAccessToken(token, this.#deps.tokens).catch(async (error) => {
      await budgets.spend(RequestBudgets.keyOf(undefined, address));
      throw error;
    });
    await budgets.spend(RequestBudgets.keyOf(user, address));
    const expiresAt = expiryOf(token ?? '');
    this.#server.handleUpgrade(req, socket, head, (ws) =>
      this.#serve(ws, { user, expiresAt, correlation }),
    );
  }

  #serve(
    ws: WebSocket,
    connection: { user: EndUser; expiresAt: number; correlation: Correlation },
  ): void {
    const { user, expiresAt, correlation } = connection;
    const { follower, log, limits } = this.#deps;
    const maxSubscriptions = this.#deps.maxSubscriptions ?? 50;
    const subscriptions = new Map<SubscriptionTarget, () => void>();
    const connectionLog = log.child({ userId: user.id, reqId: correlation.requestId });
    const send = (message: LiveServerMessage) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
    };
    const sendError = (error: ProblemError, orderId?: SubscriptionTarget) =>
      send({
        type: 'error',
        ...(orderId && { orderId }),
        problem: error.toProblem(correlation.requestId),
      });

    const subscribe = async (orderId: SubscriptionTarget) => {
      if (subscriptions.has(orderId)) {
        send({ type: 'subscribed', orderId });
        return;
      }
      if (orderId === '*' && user.role === 'customer') {
        sendError(
          new ProblemError(
            problemTypes.forbidden,
            'Only the kitchen and admins follow every order',
          ),
          orderId,
        );
        return;
      }
      if (subscriptions.size >= maxSubscriptions) {
        sendError(
          new ProblemError(
            problemTypes.badRequest,
            `A connection may follow at most ${maxSubscriptions} subscriptions`,
          ),
          orderId,
        );
        return;
      }
      // Each subscription is a request to the order service, refused or not, and holds a
      // stream from it while it lasts: it spends from the user's budget and stream quota.
      let release: () => void;
      try {
        await limits.budgets.spend(RequestBudgets.keyOf(user, undefined));
        release = limits.streams.take(user);
      } catch (error) {
        if (error instanceof ProblemError) sendError(error, orderId);
        return;
      }
      if (ws.readyState !== WebSocket.OPEN || subscriptions.has(orderId)) {
        release();
        return;
      }
      // A span per subscription, open while it lasts; the calls it makes are its children.
      let endSpan = () => {};
      let stopFollowing = () => {};
      const ended = new Promise<void>((resolve) => {
        endSpan = resolve;
      });
      void inSpan(
        'live subscription',
        { attributes: { 'cheesecake.order.id': orderId, 'user.id': user.id } },
        async () => {
          const finished = () => {
            subscriptions.delete(orderId);
            release();
            endSpan();
          };
          stopFollowing = follower.follow(orderId, user, {
            opened: () => send({ type: 'subscribed', orderId }),
            event: send,
            refused: (problem) => {
              finished();
              send({ type: 'error', orderId, problem });
            },
            finished,
          });
          await ended;
        },
      );
      subscriptions.set(orderId, () => {
        stopFollowing();
        release();
        endSpan();
      });
    };

    const unsubscribe = (orderId: SubscriptionTarget) => {
      subscriptions.get(orderId)?.();
      subscriptions.delete(orderId);
      send({ type: 'unsubscribed', orderId });
    };

    let handled: Promise<void> = Promise.resolve();
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const message = isBinary ? undefined : parseMessage(data);
      if (message instanceof ValidationError || message === undefined) {
        sendError(message ?? new ProblemError(problemTypes.badRequest, 'Send JSON text messages'));
        return;
      }
      // In the order they came, though a subscription waits for its budget; every call a
      // subscription makes carries the handshake's request id and trace.
      handled = handled
        .then(() =>
          runWithCorrelation(correlation, () =>
            message.type === 'subscribe'
              ? subscribe(message.orderId)
              : unsubscribe(message.orderId),
          ),
        )
        .catch((error: unknown) => connectionLog.error({ err: error }, 'a message failed'));
    });

    // A connection that stops answering pings is gone; so is one whose token has expired.
    let alive = true;
    ws.on('pong', () => {
      alive = true;
    });
    const heartbeat = setInterval(() => {
      if (!alive) {
        ws.terminate();
        return;
      }
      alive = false;
      ws.ping();
    }, this.#deps.heartbeatMs ?? 30_000);
    const expiry = setTimeout(
      () => ws.close(POLICY_VIOLATION, 'the access token has expired'),
      Math.max(0, expiresAt - Date.now()),
    );
    ws.on('error', (error) => connectionLog.warn({ err: error }, 'WebSocket error'));
    ws.on('close', () => {
      clearInterval(heartbeat);
      clearTimeout(expiry);
      for (const stop of subscriptions.values()) stop();
      subscriptions.clear();
    });
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

/** Answers a handshake that will not become a WebSocket with a problem document, then hangs up. */
function refuseHandshake(socket: Duplex, error: ProblemError, requestId: string): void {
  if (!socket.writable) return;
  const body = JSON.stringify(error.toProblem(requestId));
  // RFC 6750: no token gets the bare challenge, a token that failed gets the error code.
  const challenge =
    error instanceof MissingAccessTokenError
      ? 'WWW-Authenticate: Bearer\r\n'
      : error instanceof InvalidAccessTokenError
        ? 'WWW-Authenticate: Bearer error="invalid_token"\r\n'
        : '';
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\n` +
      `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `Cache-Control: no-store\r\n` +
      `X-Request-Id: ${requestId}\r\n` +
      challenge +
      'Connection: close\r\n\r\n' +
      body,
  );
}
