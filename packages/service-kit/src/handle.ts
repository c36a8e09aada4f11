import {
  type Endpoint,
  type ParsedRequestOf,
  problemTypes,
  type ResponseOf,
  type ValidationIssue,
} from '@cheesecake/contracts';
import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import type { Caller } from './internal-auth.js';
import type { Logger } from './logger.js';
import { ProblemError } from './problem-error.js';
import { ValidationError } from './problems.js';

/** What a handler gets besides the validated request. */
export interface HandlerContext {
  /** The authenticated caller; a handler reading it on an unauthenticated route gets a 401. */
  readonly caller: Caller;
  /** The request id, sent on to every downstream call. */
  readonly requestId: string;
  /** The request's logger (carries the request id). */
  readonly log: Logger;
  readonly req: Request;
  readonly res: Response;
}

/** A handler's answer: one of the endpoint's declared responses, plus optional headers. */
export type HandlerResult<E extends Endpoint> = ResponseOf<E> & {
  headers?: Record<string, string>;
};

/** A route handler: validated request in, declared response out. */
export type Handler<E extends Endpoint> = (
  request: ParsedRequestOf<E>,
  context: HandlerContext,
) => Promise<HandlerResult<E>>;

const PARTS = ['params', 'query', 'headers', 'body'] as const;

/**
 * Mounts `handler` on `router` for an endpoint record: validates params, query,
 * headers and body with the record's schemas (400 listing every failed check), calls
 * the handler, and sends the status, headers and JSON body it returns.
 */
export function handle<E extends Endpoint>(
  router: Router,
  endpoint: E,
  handler: NoInfer<Handler<E>>,
): void {
  const method = endpoint.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
  router[method](endpoint.path, async (req: Request, res: Response) => {
    const request = parseRequest(endpoint, req);
    const result = await handler(request, handlerContext(req, res));
    if (result.headers) res.set(result.headers);
    res.status(result.status).json(result.body);
  });
}

/** The {@link HandlerContext} of a request, for routes that answer other than with JSON. */
export function handlerContext(req: Request, res: Response): HandlerContext {
  return {
    get caller(): Caller {
      const caller = res.locals.caller as Caller | undefined;
      if (!caller) {
        throw new ProblemError(problemTypes.unauthenticated, 'This route needs a signed-in caller');
      }
      return caller;
    },
    requestId: String(req.id),
    log: req.log,
    req,
    res,
  };
}

/**
 * Validates the parts of a request that `endpoint` declares (params, query, headers, body)
 * with its schemas, throwing one {@link ValidationError} (400) that lists every failed check.
 */
export function parseRequest<E extends Endpoint>(endpoint: E, req: Request): ParsedRequestOf<E> {
  const parsed: Record<string, unknown> = {};
  const issues: ValidationIssue[] = [];
  for (const part of PARTS) {
    const schema: z.ZodType | undefined = endpoint[part];
    if (!schema) continue;
    const result = schema.safeParse(req[part] ?? (part === 'body' ? undefined : {}));
    if (result.success) {
      parsed[part] = result.data;
    } else {
      for (const issue of result.error.issues) {
        issues.push({ path: [part, ...issue.path.map(String)].join('.'), message: issue.message });
      }
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return parsed as ParsedRequestOf<E>;
}
