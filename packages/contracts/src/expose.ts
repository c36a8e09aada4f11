import type { Access, Endpoint, Schema } from './endpoint.js';
import { type Problem, problemResponses } from './problem.js';

/**
 * What the gateway answers itself on every route it passes to a service: 429 once the caller is
 * over the rate limit, and 502, 503 or 504 when the service fails, is unavailable or is too slow.
 */
const FORWARDED_STATUSES = [429, 502, 503, 504] as const;

/** What it also answers on a route with a body, which it refuses too large (413) or not JSON (415). */
const BODY_STATUSES = [413, 415] as const;

/**
 * How the public record of a service's route differs from the service's own record: where
 * it sits, who may call it, and what the gateway answers besides the service.
 */
export type Exposure = (
  | {
      /** Put before the service's path: `/api` makes `/orders` `/api/orders`. */
      prefix: string;
    }
  | {
      /** The whole public path, for a route the gateway maps onto another path. */
      path: string;
      /** The public path's parameters, which then differ from the service's. */
      params?: Schema;
    }
) & {
  /** Who may call it in public; the service's record's own `access` when left out. */
  access?: Access;
  /** What the route does as the public sees it, when the service's summary says more or less. */
  summary?: string;
  /** A public query that differs from the service's, such as one with fewer filters. */
  query?: Schema;
  /** Statuses the gateway answers with a problem besides {@link FORWARDED_STATUSES} and {@link BODY_STATUSES}. */
  adds?: readonly number[];
  /** The service's statuses the public never gets, such as a 401 about the gateway's own credentials. */
  omits?: readonly number[];
  /** Answers the public route gives in another shape than the service's, such as a composed view. */
  responses?: Record<number, Schema>;
};

type PathOf<E extends Endpoint, X extends Exposure> = X extends { path: infer P extends string }
  ? P
  : X extends { prefix: infer P extends string }
    ? `${P}${E['path']}`
    : never;

type AccessOf<E extends Endpoint, X extends Exposure> = X extends { access: infer A extends Access }
  ? A
  : E extends { access: infer A extends Access }
    ? A
    : never;

type AddedOf<E extends Endpoint, X extends Exposure> =
  | (typeof FORWARDED_STATUSES)[number]
  | (E extends { body: Schema } ? (typeof BODY_STATUSES)[number] : never)
  | (X extends { adds: readonly (infer S extends number)[] } ? S : never);

type ResponsesOf<E extends Endpoint, X extends Exposure> = Omit<
  E['responses'],
  (X extends { omits: readonly (infer S extends number)[] } ? S : never) | keyof X['responses']
> &
  (X['responses'] extends Record<number, Schema> ? X['responses'] : unknown) & {
    [S in AddedOf<E, X>]: typeof Problem;
  };

/** The public record {@link expose} makes of a service's record. */
export type Exposed<E extends Endpoint, X extends Exposure> = Omit<
  E,
  'path' | 'summary' | 'responses' | 'access' | Extract<keyof X, 'params' | 'query'>
> &
  Pick<X, Extract<keyof X, 'params' | 'query'>> & {
    path: PathOf<E, X>;
    summary: string;
    access: AccessOf<E, X>;
    responses: ResponsesOf<E, X>;
  };

/**
 * The public record of a service's route, derived from the service's record so that its
 * schemas, statuses and roles are written once: the parts `exposure` names replace the
 * service's, the statuses the gateway answers itself are added as problems (those of every
 * forwarded route, those of a route with a body, and what it `adds`), and those it `omits` dropped.
 */
export function expose<const E extends Endpoint, const X extends Exposure>(
  endpoint: E,
  exposure: X,
): Exposed<E, X> {
  const { omits = [], responses } = exposure;
  const adds = [
    ...FORWARDED_STATUSES,
    ...(endpoint.body ? BODY_STATUSES : []),
    ...(exposure.adds ?? []),
  ];
  const access = exposure.access ?? endpoint.access;
  if (access === undefined) throw new Error(`Say who may call ${endpoint.path} in public`);
  const kept = Object.entries(endpoint.responses).filter(
    ([status]) => !omits.includes(Number(status)),
  );
  return {
    ...endpoint,
    ...('params' in exposure && { params: exposure.params }),
    ...(exposure.query && { query: exposure.query }),
    path: 'path' in exposure ? exposure.path : exposure.prefix + endpoint.path,
    summary: exposure.summary ?? endpoint.summary,
    access,
    responses: { ...Object.fromEntries(kept), ...problemResponses(...adds), ...responses },
  } as unknown as Exposed<E, X>;
}
