import {
  type CallContext,
  type EndUser,
  ProblemError,
  problemTypes,
  Role,
} from '@cheesecake/contracts';
import type { NextFunction, Request, Response } from 'express';
import { jwtVerify, SignJWT } from 'jose';

/** Who is calling a service: the calling service, and the end user it acts for, if any. */
export interface Caller {
  service: string;
  user?: EndUser;
}

/** The secret shared by the services, and this service's name (the credential's audience). */
export interface InternalAuthOptions {
  secret: string;
  service: string;
}

const ISSUER_PREFIX = 'cheesecake:';
const LIFETIME = '60s';

/** Signs a short-lived internal credential from `issuer` to `audience`, carrying the end user. */
export async function signInternalToken(options: {
  secret: string;
  issuer: string;
  audience: string;
  user?: EndUser | undefined;
}): Promise<string> {
  const claims = options.user ? { role: options.user.role } : {};
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER_PREFIX + options.issuer)
    .setAudience(ISSUER_PREFIX + options.audience)
    .setIssuedAt()
    .setExpirationTime(LIFETIME);
  if (options.user) jwt.setSubject(options.user.id);
  return jwt.sign(new TextEncoder().encode(options.secret));
}

/** Verifies an internal credential meant for this service and returns the caller. */
export async function verifyInternalToken(
  token: string,
  options: InternalAuthOptions,
): Promise<Caller> {
  const { payload } = await jwtVerify(token, new TextEncoder().encode(options.secret), {
    audience: ISSUER_PREFIX + options.service,
    algorithms: ['HS256'],
  });
  const issuer = payload.iss?.startsWith(ISSUER_PREFIX)
    ? payload.iss.slice(ISSUER_PREFIX.length)
    : undefined;
  if (!issuer) throw new Error('unknown issuer');
  const role = Role.safeParse(payload.role);
  return payload.sub && role.success
    ? { service: issuer, user: { id: payload.sub, role: role.data } }
    : { service: issuer };
}

/**
 * The `prepareHeaders` of a typed client from `issuer` to `audience`: a fresh internal
 * credential carrying the end user of the call, if any.
 */
export function internalHeaders(options: { secret: string; issuer: string; audience: string }) {
  return async (context: CallContext): Promise<Record<string, string>> => ({
    authorization: `Bearer ${await signInternalToken({ ...options, user: context.user })}`,
  });
}

/** Express middleware answering 401 to any request without a valid internal credential. */
export function requireInternalCredential(options: InternalAuthOptions) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
    if (!token) {
      throw new ProblemError(problemTypes.unauthenticated, 'An internal credential is required');
    }
    try {
      res.locals.caller = await verifyInternalToken(token, options);
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
