import type { z } from 'zod';
import type { Role } from './common.js';

/** HTTP methods the endpoint records use. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Zod schema type accepted in endpoint records. */
export type Schema = z.ZodType;

/**
 * One record per route: everything a provider needs to validate a request and a
 * consumer needs to build it and to validate the answer. Paths use express-style
 * parameters (`/orders/:orderId`).
 */
export interface Endpoint {
  method: HttpMethod;
  path: string;
  summary: string;
  params?: Schema;
  query?: Schema;
  body?: Schema;
  headers?: Schema;
  responses: Record<number, Schema>;
  /**
   * Who may call the route: `'anyone'`, or a signed-in user in one of the roles. A service
   * checks the roles itself; the gateway checks them first on the public route.
   */
  access?: Access;
  /**
   * Set on a route that answers 200 with a stream of server-sent events
   * (`text/event-stream`) instead of one JSON body: its 200 schema is then the schema of
   * each event's data. Typed clients leave such routes out; read them with an SSE client.
   */
  eventStream?: true;
}

/** Declares an endpoint record, keeping its literal types for clients and handlers. */
export function defineEndpoint<const E extends Endpoint>(endpoint: E): E {
  return endpoint;
}

/** A named group of endpoint records, such as one service's API. */
export type Contract = Record<string, Endpoint>;

/**
 * Who may call a public route: `'anyone'`, or a signed-in user in one of the roles. A role
 * says what a user may do; which orders they may see is still the service's decision.
 */
export type Access = 'anyone' | readonly Role[];

/** A record of the public API, which always says who may call the route. */
export interface PublicEndpoint extends Endpoint {
  access: Access;
}

/** The records of a public API, such as the gateway's. */
export type PublicContract = Record<string, PublicEndpoint>;

type Input<S> = S extends Schema ? z.input<S> : undefined;
type Output<S> = S extends Schema ? z.output<S> : undefined;

type KeysWithSchema<E extends Endpoint> = {
  [K in 'params' | 'query' | 'body' | 'headers']: E[K] extends Schema ? K : never;
}[keyof Pick<Endpoint, 'params' | 'query' | 'body' | 'headers'>];

/** What a client passes to call an endpoint: exactly the parts the record declares. */
export type RequestOf<E extends Endpoint> = { [K in KeysWithSchema<E>]: Input<E[K]> };

/** What a provider's handler receives once the request has been validated. */
export type ParsedRequestOf<E extends Endpoint> = { [K in KeysWithSchema<E>]: Output<E[K]> };

/** The names of a contract's routes that answer one JSON body, which typed clients call. */
export type JsonRouteOf<C extends Contract> = {
  [K in keyof C]: C[K] extends { eventStream: true } ? never : K;
}[keyof C];

/** Status codes an endpoint record declares. */
export type StatusOf<E extends Endpoint> = keyof E['responses'] & number;

/** Every response an endpoint may give, as a union discriminated by `status`. */
export type ResponseOf<E extends Endpoint> = {
  [S in StatusOf<E>]: { status: S; body: z.output<E['responses'][S]> };
}[StatusOf<E>];

/** Fills `:name` parameters of an express-style path, URL-encoding each value. */
export function fillPath(path: string, params: Record<string, unknown> | undefined): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined || value === null) throw new Error(`Missing path parameter "${name}"`);
    return encodeURIComponent(String(value));
  });
}
