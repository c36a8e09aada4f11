import type { TokenRequest, TokenResponse } from '@cheesecake/contracts';
import { InvalidCredentialsError } from '../errors.js';
import type { AccessTokens } from './access-tokens.js';
import type { Users } from './users.js';

/** Signing in: a username and password are exchanged for an access token. */
export class Login {
  readonly #users: Users;
  readonly #tokens: AccessTokens;

  constructor(deps: { users: Users; tokens: AccessTokens }) {
    this.#users = deps.users;
    this.#tokens = deps.tokens;
  }

  /** Checks the credentials and issues a token; wrong ones answer 401 without saying which part. */
  async issueToken(credentials: TokenRequest): Promise<TokenResponse> {
    const user = await this.#users.authenticate(credentials.username, credentials.password);
    if (!user) throw new InvalidCredentialsError();
    return this.#tokens.issue(user);
  }
}
