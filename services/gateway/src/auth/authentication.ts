import type { EndUser } from '@cheesecake/contracts';
import type { Caller } from '@cheesecake/service-kit';
import type { Request, RequestHandler, Response } from 'express';
import { decodeJwt } from 'jose';
import { InvalidAccessTokenError, MissingAccessTokenError } from '../errors.js';
import type { AccessTokens } from './access-tokens.js';

/** The `Caller.service` of a request made by an end user through the public API. */
export const PUBLIC_CALLER = 'public';

const BEARER = /^Bearer +(\S+)$/i;

/** A request's bearer token, if it sent one, and the user it names, if it verifies. */
export interface Bearer {
  token: string | undefined;
  user: EndUser | undefined;
  /** When the token expires, in milliseconds since the epoch, once it verifies. */
  expiresAt?: number;
}

/**
 * The bearer token of a request and its verified user. Verified once per request, however
 * many parts of the gateway ask: the rate limiter first, then authentication.
 */
export function bearerOf(req: Request, res: Response, tokens: AccessTokens): Promise<Bearer> {
  res.locals.bearer ??= verifyBearer(req, tokens);
  return res.locals.bearer as Promise<Bearer>;
}

async function verifyBearer(req: Request, tokens: AccessTokens): Promise<Bearer> {
  const token = BEARER.exec(req.headers.authorization ?? '')?.[1];
  const user = token ? await tokens.verify(token).catch(() => undefined) : undefined;
  return user && token ? { token, user, expiresAt: expiryOf(token) } : { token, user };
}

/** The `exp` of a token that has been verified, in milliseconds. */
export function expiryOf(token: string): number {
  return (decodeJwt(token).exp ?? 0) * 1_000;
}

/**
 * Requires a valid access token (`Authorization: Bearer <jwt>`) and makes its user the
 * request's caller; answers 401 with a `WWW-Authenticate` challenge otherwise.
 */
export function authenticateUsers(tokens: AccessTokens): RequestHandler {
  return async (req, res, next) => {
    const { token, user, expiresAt } = await bearerOf(req, res, tokens);
    if (!token) {
      // RFC 6750: a request that sent no credential gets the bare challenge, without an error code.
      res.set('www-authenticate', 'Bearer');
      throw new MissingAccessTokenError();
    }
    if (!user) {
      res.set('www-authenticate', 'Bearer error="invalid_token"');
      throw new InvalidAccessTokenError();
    }
    res.locals.caller = { service: PUBLIC_CALLER, user } satisfies Caller;
    res.locals.accessTokenExpiresAt = expiresAt;
    next();
  };
}

/**
 * Ends a long-lived answer, such as an event stream, when the access token it was opened
 * with expires: holding a stream open must not outlast the right to open it. The client
 * reconnects with a fresh token, and `Last-Event-ID` loses nothing.
 */
export const endAtTokenExpiry: RequestHandler = (_req, res, next) => {
  const expiresAt = res.locals.accessTokenExpiresAt as number | undefined;
  if (expiresAt !== undefined) {
    const timer = setTimeout(() => res.destroy(), Math.max(0, expiresAt - Date.now()));
    res.once('close', () => clearTimeout(timer));
  }
  next();
};

/**
 * The user of an access token that comes some other way than the Authorization header,
 * such as the WebSocket handshake's `?access_token=`: 401 when missing or not valid.
 */
export async function userOfAccessToken(
  token: string | undefined,
  tokens: AccessTokens,
): Promise<EndUser> {
  if (!token) throw new MissingAccessTokenError();
  return tokens.verify(token).catch(() => {
    throw new InvalidAccessTokenError();
  });
}
