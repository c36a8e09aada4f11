import { problemTypes } from '@cheesecake/contracts';
import { ProblemError } from '@cheesecake/service-kit';

/** The username or password of a token request is wrong (which one is not said). */
export class InvalidCredentialsError extends ProblemError {
  constructor() {
    super(problemTypes.invalidCredentials, 'The username or password is wrong');
  }
}

/** A request to a user route without an access token. */
export class MissingAccessTokenError extends ProblemError {
  constructor() {
    super(
      problemTypes.unauthenticated,
      'Send an access token from POST /api/auth/token as Authorization: Bearer <token>',
    );
  }
}

/** A request to a user route whose access token is malformed, forged or expired. */
export class InvalidAccessTokenError extends ProblemError {
  constructor() {
    super(problemTypes.unauthenticated, 'The access token is not valid or has expired');
  }
}
