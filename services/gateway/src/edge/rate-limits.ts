import { problemTypes } from '@cheesecake/contracts';
import { type Logger, sendProblem } from '@cheesecake/service-kit';
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import type { AccessTokens } from '../auth/access-tokens.js';
import { bearerOf } from '../auth/authentication.js';
import { RequestBudgets } from './user-limits.js';

const ONE_MINUTE_MS = 60_000;

/**
 * At most `perMinute` requests a minute for each signed-in user, wherever they come from,
 * and for each address that sends no valid token. Users never share a budget, with each
 * other or with the anonymous requests of their address. Counted in `budgets`, which the
 * WebSocket handshakes and subscriptions spend from too.
 */
export function limitRequests(options: {
  budgets: RequestBudgets;
  tokens: AccessTokens;
  log: Logger;
}): RequestHandler {
  return rateLimit({
    windowMs: ONE_MINUTE_MS,
    limit: options.budgets.perMinute,
    identifier: 'requests',
    store: options.budgets.store,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Only a token the gateway can verify names a user: an unverified subject would let a
    // client pick a fresh budget for every request.
    keyGenerator: async (req, res) => {
      const { user } = await bearerOf(req, res, options.tokens);
      return RequestBudgets.keyOf(user, req.ip);
    },
    // keyOf groups IPv6 addresses with ipKeyGenerator, where this check cannot see it.
    validate: { keyGeneratorIpFallback: false },
    handler: answerRateLimited('requests'),
    logger: options.log,
  });
}

/**
 * At most `perMinute` token requests a minute for each username from each address, on top
 * of the address's own limit: guessing one user's password is slow, and trying many
 * usernames still runs into the address's budget. Needs the parsed body.
 */
export function limitLogins(options: {
  perMinute: number;
  store: Store;
  log: Logger;
}): RequestHandler {
  return rateLimit({
    windowMs: ONE_MINUTE_MS,
    limit: options.perMinute,
    identifier: 'logins',
    store: options.store,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => {
      const username: unknown = req.body?.username;
      return `${typeof username === 'string' ? username.slice(0, 100) : ''}@${ipKeyGenerator(req.ip ?? '')}`;
    },
    handler: answerRateLimited('token requests'),
    logger: options.log,
  });
}

// express-rate-limit has set Retry-After and the RateLimit headers by the time this runs.
function answerRateLimited(what: string) {
  return (_req: Request, res: Response) => {
    const retryAfter = res.getHeader('retry-after');
    sendProblem(
      res,
      problemTypes.rateLimited,
      `Too many ${what} this minute; try again in ${retryAfter} seconds`,
    );
  };
}
