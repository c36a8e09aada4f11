import { type Problem, type ProblemType, problemTypeUri } from '@cheesecake/contracts';

/**
 * An error that is answered as a problem document. Domain errors extend it with a
 * problem type and a detail; the error middleware in service-kit renders it, so
 * handlers need no try/catch.
 */
export class ProblemError extends Error {
  /** The problem type: its code, status and title. */
  readonly problemType: ProblemType;
  /** Extension members added to the problem document (never secrets or stack traces). */
  readonly extensions: Record<string, unknown>;

  constructor(problemType: ProblemType, detail: string, extensions: Record<string, unknown> = {}) {
    super(detail);
    this.name = new.target.name;
    this.problemType = problemType;
    this.extensions = extensions;
  }

  /** The stable code of the problem type, such as `order-not-found`. */
  get code(): string {
    return this.problemType.code;
  }

  /** The HTTP status to answer with. */
  get status(): number {
    return this.problemType.status;
  }

  /** This error as a problem document about the request `requestId`. */
  toProblem(requestId: string): Problem {
    return {
      type: problemTypeUri(this.code),
      title: this.problemType.title,
      status: this.status,
      detail: this.message,
      ...this.extensions,
      requestId,
    };
  }
}
