import { type EndUser, Role, type TokenResponse } from '@cheesecake/contracts';
import { jwtVerify, SignJWT } from 'jose';
import type { User } from './users.js';

/** The `iss` of every access token the gateway signs. */
export const TOKEN_ISSUER = 'cheesecake-gateway';
/** The `aud` of every access token: the public API. */
export const TOKEN_AUDIENCE = 'cheesecake-api';

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

  /** The user a token was issued to; rejects a token that is forged, expired or not ours. */
  async verify(token: string): Promise<EndUser> {
    // Pinning the algorithm refuses `alg: none` and any attempt to swap in another algorithm.
    const { payload } = await jwtVerify(token, this.#key, {
      algorithms: ['HS256'],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      requiredClaims: ['sub', 'exp'],
    });
    return { id: String(payload.sub), role: Role.parse(payload.role) };
  }
}
