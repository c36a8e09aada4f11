import { STATUS_CODES } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import {
  type Access,
  NoContent,
  PROBLEM_CONTENT_TYPE,
  Problem,
  type PublicContract,
  type PublicEndpoint,
  type Schema,
} from '@cheesecake/contracts';
import type {
  HeaderObject,
  HeadersObject,
  InfoObject,
  OpenAPIObject,
  OperationObject,
  ParameterLocation,
  ParameterObject,
  PathsObject,
  ResponseObject,
  SchemaObject,
  ServerObject,
} from 'openapi3-ts/oas31';
import { JsonSchemas } from './json-schemas.js';

/** What an OpenAPI document needs besides the endpoint records. */
export interface OpenApiOptions {
  /** The document's title, version and description. */
  info: InfoObject;
  /**
   * Schemas to describe once, under `#/components/schemas/<name>`, and refer to wherever
   * they appear; every other schema is written out where it is used. `Problem` always is one.
   */
  components?: Record<string, Schema>;
  /** The group an operation is listed under, such as `orders`; ungrouped without it. */
  tagOf?: (endpoint: PublicEndpoint) => string;
  /** Where the API is served, such as `/` for wherever the document itself came from. */
  servers?: ServerObject[];
  /** Response headers to describe once, under `#/components/headers/<name>`. */
  headers?: Record<string, HeaderObject>;
  /**
   * The response headers of one status of an endpoint, each by its name: a `$ref` to one of
   * `headers` (see {@link headerRef}) or written out. None without it.
   */
  headersOf?: (endpoint: PublicEndpoint, status: number) => HeadersObject;
}

/** A reference to a header component of the document. */
export function headerRef(name: string): { $ref: string } {
  return { $ref: `#/components/headers/${name}` };
}

/** The name of the bearer token security scheme in the documents {@link openApiDocument} builds. */
export const BEARER_SECURITY_SCHEME = 'bearerToken';

/**
 * An OpenAPI 3.1 document of a public contract: one operation per record, named after it,
 * with its path and query parameters, request body and every response it declares. The
 * schemas come from zod's own JSON Schema conversion, requests as a client sends them and
 * responses as the server answers them; problems are `application/problem+json`. A route
 * whose access is not `'anyone'` requires a bearer token, and one open to anyone says so
 * with an empty `security`.
 */
export function openApiDocument(contract: PublicContract, options: OpenApiOptions): OpenAPIObject {
  const components = { Problem, ...options.components };
  const requests = new JsonSchemas('input', components);
  const responses = new JsonSchemas('output', components);
  for (const endpoint of Object.values(contract)) {
    for (const part of [endpoint.params, endpoint.query, endpoint.headers, endpoint.body]) {
      if (part) requests.add(part);
    }
    for (const schema of Object.values(endpoint.responses)) {
      if (schema !== NoContent) responses.add(schema);
    }
  }

  const paths: PathsObject = {};
  for (const [name, endpoint] of Object.entries(contract)) {
    const path = endpoint.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    paths[path] = {
      ...paths[path],
      [endpoint.method.toLowerCase()]: {
        ...(options.tagOf && { tags: [options.tagOf(endpoint)] }),
        ...operation(name, endpoint, { requests, responses, headersOf: options.headersOf }),
      },
    };
  }

  return {
    openapi: '3.1.1',
    info: options.info,
    ...(options.servers && { servers: options.servers }),
    paths,
    components: {
      schemas: usedComponents(Object.keys(components), requests, responses),
      ...(options.headers && { headers: options.headers }),
      securitySchemes: {
        [BEARER_SECURITY_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'An access token from `POST /api/auth/token`, sent as `Authorization: Bearer <token>`: a JWT signed with HS256 and checked as RFC8725 advises, its algorithm pinned (never `none`), its issuer, audience and expiry verified.',
        },
      },
    },
  };
}

/** What building an operation draws on. */
interface Describers {
  requests: JsonSchemas;
  responses: JsonSchemas;
  headersOf: OpenApiOptions['headersOf'];
}

function operation(
  name: string,
  endpoint: PublicEndpoint,
  describers: Describers,
): OperationObject {
  const { requests } = describers;
  const parameters = [
    ...parametersOf('path', endpoint.params, requests),
    ...parametersOf('query', endpoint.query, requests),
    ...parametersOf('header', endpoint.headers, requests),
  ];
  return {
    operationId: name,
    summary: endpoint.summary,
    description: whoMayCall(endpoint.access),
    ...(parameters.length > 0 && { parameters }),
    ...(endpoint.body && {
      requestBody: {
        required: !endpoint.body.safeParse(undefined).success,
        content: { 'application/json': { schema: requests.use(endpoint.body) } },
      },
    }),
    responses: Object.fromEntries(
      Object.keys(endpoint.responses).map((status) => [
        status,
        response(endpoint, Number(status), describers),
      ]),
    ),
    security: endpoint.access === 'anyone' ? [] : [{ [BEARER_SECURITY_SCHEME]: [] }],
  };
}

function whoMayCall(access: Access): string {
  return access === 'anyone'
    ? 'Who may call: anyone, without a token.'
    : `Who may call: ${access.join(', ')}.`;
}

/** One parameter per property of a record's params, query or headers schema. */
function parametersOf(
  location: ParameterLocation,
  schema: Schema | undefined,
  requests: JsonSchemas,
): ParameterObject[] {
  if (!schema) return [];
  const object = requests.expand(schema);
  const required = new Set(object.required);
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    schema: property,
  }));
}

function response(
  endpoint: PublicEndpoint,
  status: number,
  describers: Describers,
): ResponseObject {
  const schema = endpoint.responses[status] as Schema;
  const headers = describers.headersOf?.(endpoint, status) ?? {};
  const withHeaders = Object.keys(headers).length > 0 ? { headers } : {};
  const description = STATUS_CODES[status] ?? `Status ${status}`;
  if (schema === NoContent) return { description, ...withHeaders };
  // Records answer errors with the Problem schema itself (see problemResponses).
  const mediaType =
    schema === Problem
      ? PROBLEM_CONTENT_TYPE
      : endpoint.eventStream && status === 200
        ? 'text/event-stream'
        : 'application/json';
  return {
    description:
      mediaType === 'text/event-stream'
        ? 'Server-sent events; each event carries this schema as its data'
        : description,
    ...withHeaders,
    content: { [mediaType]: { schema: describers.responses.use(schema) } },
  };
}

/**
 * The components the operations refer to, directly or through one another. A component
 * used both in requests and in responses must read the same both ways (no defaults or
 * transforms that differ), since one name can stand for only one schema.
 */
function usedComponents(
  names: string[],
  requests: JsonSchemas,
  responses: JsonSchemas,
): Record<string, SchemaObject> {
  const used: Record<string, SchemaObject> = {};
  for (const name of names) {
    const asRequest = requests.usedComponent(name);
    const asResponse = responses.usedComponent(name);
    if (asRequest && asResponse && !isDeepStrictEqual(asRequest, asResponse)) {
      throw new Error(
        `The component ${name} reads differently in requests and in responses; name each direction on its own`,
      );
    }
    const schema = asRequest ?? asResponse;
    if (schema) used[name] = schema;
  }
  return used;
}
