import type { Caller } from '@cheesecake/service-kit';
import type { RequestHandler } from 'express';
import type { AccessTokens } from './access-tokens.js';
import { InvalidAccessTokenError, MissingAccessTokenError } from './errors.js';

/** The `Caller.service` of a request made by an end user through the public API. */
export const PUBLIC_CALLER = 'public';

const BEARER = /^Bearer +(\S+)$/i;

/**
 * Requires a valid access token (`Authorization: Bearer <jwt>`) and makes its user the
 * request's caller; answers 401 with a `WWW-Authenticate` challenge otherwise.
 */
export function authenticateUsers(tokens: AccessTokens): RequestHandler {
  return async (req, res, next) => {
    const token = BEARER.exec(req.headers.authorization ?? '')?.[1];
    if (!token) {
      // RFC 6750: a request that sent no credential gets the bare challenge, without an error code.
      res.set('www-authenticate', 'Bearer');
      throw new MissingAccessTokenError();
    }
    const user = await tokens.verify(token).catch(() => undefined);
    if (!user) {
      res.set('www-authenticate', 'Bearer error="invalid_token"');
      throw new InvalidAccessTokenError();
    }
    res.locals.caller = { service: PUBLIC_CALLER, user } satisfies Caller;
    next();
  };
}
