import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { gatewayApi, PROBLEM_CONTENT_TYPE, problemTypes } from '@cheesecake/contracts';
import {
  type Correlation,
  correlationFromHeaders,
  type Logger,
  ProblemError,
  runWithCorrelation,
} from '@cheesecake/service-kit';
import { WebSocketServer } from 'ws';
import type { AccessTokens } from '../auth/access-tokens.js';
import { expiryOf, userOfAccessToken } from '../auth/authentication.js';
import { RequestBudgets, type UserLimits } from '../edge/user-limits.js';
import { InvalidAccessTokenError, MissingAccessTokenError } from '../errors.js';
import { LiveConnection, type LiveConnectionDeps } from './live-connection.js';
import type { OrderStatusFollower } from './order-status-follower.js';

/** What the WebSocket endpoint is built from. */
export interface LiveUpdatesDeps {
  tokens: AccessTokens;
  follower: OrderStatusFollower;
  /** The budgets handshakes and subscriptions spend from, and the streams each user may hold. */
  limits: UserLimits;
  log: Logger;
  /** The address a handshake comes from, behind the proxies `TRUST_PROXY` names (`clientAddressOf`). */
  clientAddress: (req: IncomingMessage) => string | undefined;
  /** Subscriptions one connection may hold at once; default 50. */
  maxSubscriptions?: number;
  /** How often a connection is pinged; one that missed the last ping is dropped. Default 30 s. */
  heartbeatMs?: number;
}

/** The largest message a client may send; subscribe and unsubscribe are far smaller. */
const MAX_MESSAGE_BYTES = 4 * 1024;

/** Close code 1001: the gateway is going away. */
const GOING_AWAY = 1001;

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

  readonly #connectionDeps: LiveConnectionDeps;

  constructor(deps: LiveUpdatesDeps) {
    this.#deps = deps;
    this.#connectionDeps = {
      follower: deps.follower,
      limits: deps.limits,
      log: deps.log,
      maxSubscriptions: deps.maxSubscriptions ?? 50,
      heartbeatMs: deps.heartbeatMs ?? 30_000,
    };
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
    const address = this.#deps.clientAddress(req);
    // A handshake is a request like any other: it spends from the user's budget, or from the
    // address's when its token does not verify.
    const user = await userOfAccessToken(token, this.#deps.tokens).catch(async (error) => {
      await budgets.spend(RequestBudgets.keyOf(undefined, address));
      throw error;
    });
    await budgets.spend(RequestBudgets.keyOf(user, address));
    const expiresAt = expiryOf(token ?? '');
    this.#server.handleUpgrade(req, socket, head, (ws) => {
      new LiveConnection(ws, { user, expiresAt, correlation }, this.#connectionDeps);
    });
  }
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
