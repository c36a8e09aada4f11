import { createHmac } from 'node:crypto';
import type { EndUser } from '@cheesecake/contracts';
import { DEVELOPMENT_INTERNAL_TOKEN_SECRET } from '../config.js';
import { INTERNAL_CREDENTIAL_LIFETIME_SECONDS, pathOf } from '../internal-auth.js';

/** The internal secret tests sign with (the development default). */
export const TEST_INTERNAL_SECRET = DEVELOPMENT_INTERNAL_TOKEN_SECRET;

/** The part of a supertest (superagent) request a {@link TestCredential} uses. */
export interface SignableRequest {
  method: string;
  url: string;
  set(field: string, value: string): unknown;
}

/**
 * An internal credential for tests, signed for each request it is used on. As a supertest
 * plugin it signs that request's method and path, used after both are set:
 * `request(app).get('/orders').use(credential)`; `for(method, path)` gives the
 * `Authorization` value for any other client.
 */
export interface TestCredential {
  (req: SignableRequest): void;
  /** The `Authorization` header value for a request of `method` to `path` (query ignored). */
  for(method: string, path: string): string;
}

/**
 * A {@link TestCredential} from `issuer` to `audience`, for `user` if any. It signs
 * synchronously (HS256 with the test secret), since a supertest plugin cannot wait; the
 * service verifies it as any other credential.
 */
export function internalCredential(options: {
  issuer: string;
  audience: string;
  user?: EndUser | undefined;
}): TestCredential {
  const authorization = (method: string, path: string) =>
    `Bearer ${signTestCredential({
      iss: `cheesecake:${options.issuer}`,
      aud: `cheesecake:${options.audience}`,
      htm: method.toUpperCase(),
      htu: pathOf(path),
      ...(options.user ? { sub: options.user.id, role: options.user.role } : {}),
    })}`;
  const plugin = (req: SignableRequest) => {
    req.set(
      'authorization',
      authorization(req.method, new URL(req.url, 'http://localhost').pathname),
    );
  };
  return Object.assign(plugin, { for: authorization });
}

/**
 * An HS256 JWT with these claims signed with `secret` (the test secret by default), issued
 * now and living the full lifetime unless `iat` or `exp` say otherwise (`undefined` leaves
 * the claim out): for tests of credentials that must be refused.
 */
function signTestCredential(
  claims: Record<string, unknown>,
  secret: string = TEST_INTERNAL_SECRET,
): string {
  const iat = Math.floor(Date.now() / 1000);
  const payload = { iat, exp: iat + INTERNAL_CREDENTIAL_LIFETIME_SECONDS, ...claims };
  const encode = (part: unknown) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256' })}.${encode(payload)}`;
  const signature = createHmac('sha256', secret).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}

const TEN_YEARS_SECONDS = 10 * 365 * 24 * 60 * 60;

/**
 * Credentials for a request of `method` to `path` that a service must answer with 401, though
 * each is signed with the test secret and meant for `audience`, and `issuer` is a caller the
 * service expects: each is named by what is wrong with it.
 */
export function refusedInternalCredentials(options: {
  issuer: string;
  audience: string;
  method: string;
  path: string;
}): Array<[reason: string, authorization: string]> {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: `cheesecake:${options.issuer}`,
    aud: `cheesecake:${options.audience}`,
    htm: options.method.toUpperCase(),
    htu: pathOf(options.path),
  };
  const otherMethod = claims.htm === 'GET' ? 'POST' : 'GET';
  const bearer = (signed: string) => `Bearer ${signed}`;
  return [
    ['signed with another secret', bearer(signTestCredential(claims, 'not-the-secret'))],
    [
      'from an issuer it does not expect',
      bearer(signTestCredential({ ...claims, iss: 'cheesecake:evil' })),
    ],
    ['living ten years', bearer(signTestCredential({ ...claims, exp: now + TEN_YEARS_SECONDS }))],
    [
      'issued in the future',
      bearer(signTestCredential({ ...claims, iat: now + 120, exp: now + 180 })),
    ],
    ['made for another method', bearer(signTestCredential({ ...claims, htm: otherMethod }))],
    [
      'made for another path',
      bearer(signTestCredential({ ...claims, htu: `${claims.htu}/elsewhere` })),
    ],
    [
      'without a method or path',
      bearer(signTestCredential({ ...claims, htm: undefined, htu: undefined })),
    ],
    ['without iat', bearer(signTestCredential({ ...claims, iat: undefined }))],
  ];
}
