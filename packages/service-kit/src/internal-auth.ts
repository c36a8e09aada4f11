import { type EndUser, problemTypes, Role } from '@cheesecake/contracts';
import type { NextFunction, Request, Response } from 'express';
import { jwtVerify, SignJWT } from 'jose';
import { ProblemError } from './problem-error.js';
import type { CallContext, RequestTarget } from './typed-client.js';

/** Who is calling a service: the calling service, and the end user it acts for, if any. */
export interface Caller {
  service: string;
  user?: EndUser;
}

/**
 * The secret shared by the services, this service's name (the credential's audience), and the
 * services that call it (the issuers it accepts).
 */
export interface InternalAuthOptions {
  secret: string;
  service: string;
  /** The services that call this one; a credential from any other issuer is not valid here. */
  callers: readonly string[];
}

const ISSUER_PREFIX = 'cheesecake:';
/** The longest an internal credential may live, from `iat` to `exp`, in seconds. */
export const INTERNAL_CREDENTIAL_LIFETIME_SECONDS = 60;
/** How far the clocks of two services may disagree, in seconds. */
export const INTERNAL_CREDENTIAL_CLOCK_SKEW_SECONDS = 5;

/** The path of a request target, without its query string. */
export function pathOf(target: string): string {
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

/**
 * Signs a short-lived internal credential from `issuer` to `audience`, carrying the end user,
 * and good for one request line only: `method` and `path` (the path as sent, without query
 * string) become the `htm` and `htu` claims, as in DPoP (RFC 9449).
 */
export async function signInternalToken(options: {
  secret: string;
  issuer: string;
  audience: string;
  method: string;
  path: string;
  user?: EndUser | undefined;
}): Promise<string> {
  const claims = {
    htm: options.method.toUpperCase(),
    htu: pathOf(options.path),
    ...(options.user ? { role: options.user.role } : {}),
  };
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER_PREFIX + options.issuer)
    .setAudience(ISSUER_PREFIX + options.audience)
    .setIssuedAt()
    .setExpirationTime(`${INTERNAL_CREDENTIAL_LIFETIME_SECONDS}s`);
  if (options.user) jwt.setSubject(options.user.id);
  return jwt.sign(new TextEncoder().encode(options.secret));
}

/**
 * Verifies an internal credential and returns the caller. It is valid when it is signed with
 * the secret, meant for this service, from one of its `callers`, issued no more than the
 * clock skew in the future, lives no longer than 60 s, and was made for this `request`'s
 * method and path. Rejects otherwise.
 */
export async function verifyInternalToken(
  token: string,
  options: InternalAuthOptions,
  request: RequestTarget,
): Promise<Caller> {
  const { payload } = await jwtVerify(token, new TextEncoder().encode(options.secret), {
    audience: ISSUER_PREFIX + options.service,
    issuer: options.callers.map((caller) => ISSUER_PREFIX + caller),
    algorithms: ['HS256'],
    requiredClaims: ['iat', 'exp', 'htm', 'htu'],
    maxTokenAge: INTERNAL_CREDENTIAL_LIFETIME_SECONDS,
    clockTolerance: INTERNAL_CREDENTIAL_CLOCK_SKEW_SECONDS,
  });
  const { iat, exp, htm, htu } = payload;
  if (typeof iat !== 'number' || typeof exp !== 'number') throw new Error('no lifetime');
  if (exp - iat > INTERNAL_CREDENTIAL_LIFETIME_SECONDS) throw new Error('lives too long');
  if (iat > Date.now() / 1000 + INTERNAL_CREDENTIAL_CLOCK_SKEW_SECONDS) {
    throw new Error('issued in the future');
  }
  if (htm !== request.method.toUpperCase() || htu !== pathOf(request.path)) {
    throw new Error('made for another request');
  }
  const issuer = (payload.iss as string).slice(ISSUER_PREFIX.length);
  const role = Role.safeParse(payload.role);
  return payload.sub && role.success
    ? { service: issuer, user: { id: payload.sub, role: role.data } }
    : { service: issuer };
}

/**
 * The `prepareHeaders` of a typed client from `issuer` to `audience`: a fresh internal
 * credential for the call about to be made (its method and path), carrying the end user of
 * the call, if any.
 */
export function internalHeaders(options: { secret: string; issuer: string; audience: string }) {
  return async (context: CallContext, request: RequestTarget): Promise<Record<string, string>> => ({
    authorization: `Bearer ${await signInternalToken({ ...options, ...request, user: context.user })}`,
  });
}

/**
 * Express middleware answering 401 to any request without a valid internal credential: see
 * {@link verifyInternalToken}. The request line it checks is the method and the full original
 * path (`req.originalUrl`), wherever the middleware is mounted.
 */
export function requireInternalCredential(options: InternalAuthOptions) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
    if (!token) {
      throw new ProblemError(problemTypes.unauthenticated, 'An internal credential is required');
    }
    try {
      res.locals.caller = await verifyInternalToken(token, options, {
        method: req.method,
        path: req.originalUrl,
      });
    } catch {
      throw new ProblemError(problemTypes.unauthenticated, 'The internal credential is not valid');
    }
    next();
  };
}

/** The end user of a call, when their role is one of `roles`; 401 without a user, 403 for another role. */
export function requireUser(caller: Caller, roles: readonly Role[]): EndUser {
  if (!caller.user) {
    throw new ProblemError(
      problemTypes.unauthenticated,
      'This call must be made on behalf of a user',
    );
  }
  if (!roles.includes(caller.user.role)) {
    throw new ProblemError(
      problemTypes.forbidden,
      `This needs one of the roles: ${roles.join(', ')}`,
    );
  }
  return caller.user;
}

/** Asserts the call comes from one of `services` (a peer), answering 403 otherwise. */
export function requireService(caller: Caller, services: readonly string[]): void {
  if (!services.includes(caller.service)) {
    throw new ProblemError(
      problemTypes.forbidden,
      `Only the ${services.join(', ')} service may call this`,
    );
  }
}
