import type { IncomingMessage } from 'node:http';
import {
  FAILED_SERVICE_HEADER,
  PROBLEM_CONTENT_TYPE,
  type ProblemType,
  problemTypes,
  type ValidationIssue,
} from '@cheesecake/contracts';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from './logger.js';
import { ProblemError } from './problem-error.js';

/** A request that failed its contract's schemas: 400 with one entry per failed check. */
export class ValidationError extends ProblemError {
  constructor(issues: ValidationIssue[]) {
    super(
      problemTypes.validation,
      issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '),
      {
        errors: issues,
      },
    );
  }
}

/** Writes a problem details document. */
export function sendProblem(
  res: Response,
  type: ProblemType,
  detail: string,
  extensions: Record<string, unknown> = {},
): void {
  const problem = new ProblemError(type, detail, extensions).toProblem(String(res.req.id ?? ''));
  res.status(type.status).set('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/** Answers 404 for any route no router handled. */
export const routeNotFound: RequestHandler = (req: Request, res: Response) => {
  sendProblem(res, problemTypes.notFound, `No route for ${req.method} ${req.path}`);
};

/** An error from express's own layers (router, body parser), in the http-errors shape. */
interface HttpLayerError {
  type?: string;
  status?: number;
}

const bodyParserProblems: Record<string, ProblemType> = {
  'entity.parse.failed': problemTypes.malformedJson,
  'entity.too.large': problemTypes.payloadTooLarge,
  'encoding.unsupported': problemTypes.unsupportedMediaType,
  'charset.unsupported': problemTypes.unsupportedMediaType,
};

/**
 * The one error middleware: a {@link ProblemError} becomes its problem document (with
 * `Retry-After` when it carries `retryAfterSeconds`), a
 * client error found by express's router or body parser its 4xx, anything else a
 * logged 500 without internals.
 */
export function problemErrorHandler(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof ProblemError) {
      // A 5xx problem is a warning to read, not a stack to debug; the request's own log line
      // is an error when it is a 500.
      if (error.status >= 500) {
        const { fields, message } = serverProblemLog(error);
        (req.log ?? log).warn(fields, message);
      }
      // Such as a downstream's open circuit breaker, which knows when it will try again.
      const { retryAfterSeconds } = error as { retryAfterSeconds?: unknown };
      if (typeof retryAfterSeconds === 'number') res.set('retry-after', String(retryAfterSeconds));
      // A downstream's failure passed on: callers must not blame this service for it.
      const failedService = error.extensions.service;
      if (error.status >= 500 && typeof failedService === 'string') {
        res.set(FAILED_SERVICE_HEADER, failedService);
      }
      sendProblem(res, error.problemType, error.message, error.extensions);
      return;
    }
    const { type, status } = (error ?? {}) as HttpLayerError;
    const bodyParserProblem = type ? bodyParserProblems[type] : undefined;
    if (bodyParserProblem) {
      sendProblem(res, bodyParserProblem, (error as Error).message);
      return;
    }
    // Anything else those layers reject as the client's fault, such as a path that is not
    // valid percent-encoding or a body that does not decompress.
    if (status !== undefined && status >= 400 && status < 500) {
      sendProblem(res, { ...problemTypes.badRequest, status }, (error as Error).message);
      return;
    }
    (req.log ?? log).error({ err: error }, 'unhandled error');
    sendProblem(
      res,
      problemTypes.internal,
      'The request failed; quote the request id when reporting it',
    );
  };
}

/**
 * How a 5xx problem is logged, saying whose failure it is: a fault injected on purpose, a
 * downstream's failure passed on (the problem names the service), or this service's own.
 */
function serverProblemLog(error: ProblemError): {
  fields: Record<string, unknown>;
  message: string;
} {
  const fields = { problem: error.problemType.code, detail: error.message };
  // Checked first: an injected fault names the service it was injected into, this one.
  if (error.extensions.injected === true) {
    return { fields: { ...fields, injected: true }, message: 'injected fault' };
  }
  const { service } = error.extensions;
  if (typeof service === 'string') {
    return { fields: { ...fields, downstream: service }, message: 'downstream failure passed on' };
  }
  return { fields, message: 'failure of this service' };
}

/**
 * Answers 415 to a request that carries a body that is not `application/json`: the one type
 * the services parse. A `+json` type such as `application/merge-patch+json` means rules of
 * its own that no route follows, so it is refused too, rather than read as something else.
 */
export const requireJsonBody: RequestHandler = (req, res, next) => {
  if (hasRequestBody(req) && !req.is('application/json')) {
    sendProblem(res, problemTypes.unsupportedMediaType, 'Send the body as application/json');
    return;
  }
  next();
};

/** Whether a request comes with a body: a chunked one, or a Content-Length above zero. */
export function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
