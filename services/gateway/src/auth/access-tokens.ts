import { type EndUser, Role, type TokenResponse } from '@cheesecake/contracts';
import { jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import type { User } from './users.js';

/** The `iss` of every access token the gateway signs. */
export const TOKEN_ISSUER = 'cheesecake-gateway';
/** The `aud` of every access token: the public API. */
export const TOKEN_AUDIENCE = 'cheesecake-api';

/** How far a token's `iat` may be ahead of this clock: another replica's clock may run a little fast. */
const CLOCK_SKEW_SECONDS = 5;

// What the gateway issues and nothing else: a signature alone does not make a token one of
// ours, so a subject that is empty, a number or of another form, or a token issued in the
// future, is refused too.
const AccessTokenClaims = z
  .object({
    sub: z.string().regex(/^usr_[a-z0-9]{1,64}$/),
    role: Role,
    name: z.string().max(100).optional(),
    iat: z.number().int(),
    exp: z.number().int(),
  })
  .refine((claims) => claims.iat <= Date.now() / 1_000 + CLOCK_SKEW_SECONDS, 'issued in the future')
  .refine((claims) => claims.exp > claims.iat, 'expires before it was issued');

/** Signs and verifies the public API's access tokens: HS256 JWTs naming the user and their role. */
export class AccessTokens {
  readonly #key: Uint8Array;
  readonly #ttlSeconds: number;

  constructor(options: { secret: string; ttlSeconds: number }) {
    this.#key = new TextEncoder().encode(options.secret);
    this.#ttlSeconds = options.ttlSeconds;
  }

  /** A signed token for `user`, in the OAuth 2.0 token response's shape. */
  async issue(user: User): Promise<TokenResponse> {
    const accessToken = await new SignJWT({ role: user.role, name: user.name })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime(`${this.#ttlSeconds}s`)
      .sign(this.#key);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.#ttlSeconds };
  }

  /** The user a token was issued to; rejects a token that is forged, expired, or not one the gateway would issue. */
  async verify(token: string): Promise<EndUser> {
    // Pinning the algorithm refuses `alg: none` and any attempt to swap in another algorithm.
    const { payload } = await jwtVerify(token, this.#key, {
      algorithms: ['HS256'],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      requiredClaims: ['sub', 'exp', 'iat'],
    });
    const claims = AccessTokenClaims.parse(payload);
    // Longer-lived than the gateway issues: made with the key, but not by the gateway.
    if (claims.exp - claims.iat > this.#ttlSeconds + CLOCK_SKEW_SECONDS) {
      throw new Error('a lifetime the gateway does not issue');
    }
    return { id: claims.sub, role: claims.role };
  }
}
