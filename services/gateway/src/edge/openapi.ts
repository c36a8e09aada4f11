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
  InfoObject,
  OpenAPIObject,
  OperationObject,
  ParameterLocation,
  ParameterObject,
  PathsObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from 'openapi3-ts/oas31';
import { z } from 'zod';

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
}

/** The name of the bearer token security scheme in the documents {@link openApiDocument} builds. */
export const BEARER_SECURITY_SCHEME = 'bearerToken';

const COMPONENT_URI = '#/components/schemas/';
const INLINE_URI = '#/inline/';

/**
 * An OpenAPI 3.1 document of a public contract: one operation per record, named after it,
 * with its path and query parameters, request body and every response it declares. The
 * schemas come from zod's own JSON Schema conversion, requests as a client sends them and
 * responses as the server answers them; problems are `application/problem+json`, and a
 * route whose access is not `'anyone'` requires a bearer token.
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
        ...operation(name, endpoint, requests, responses),
      },
    };
  }

  return {
    openapi: '3.1.1',
    info: options.info,
    paths,
    components: {
      schemas: usedComponents(Object.keys(components), requests, responses),
      securitySchemes: {
        [BEARER_SECURITY_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An access token, sent as `Authorization: Bearer <token>`',
        },
      },
    },
  };
}

function operation(
  name: string,
  endpoint: PublicEndpoint,
  requests: JsonSchemas,
  responses: JsonSchemas,
): OperationObject {
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
      Object.entries(endpoint.responses).map(([status, schema]) => [
        status,
        response(Number(status), schema, responses, endpoint.eventStream),
      ]),
    ),
    ...(endpoint.access !== 'anyone' && { security: [{ [BEARER_SECURITY_SCHEME]: [] }] }),
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
  status: number,
  schema: Schema,
  responses: JsonSchemas,
  eventStream: boolean | undefined,
): ResponseObject {
  if (schema === NoContent) return { description: STATUS_CODES[status] ?? `Status ${status}` };
  // Records answer errors with the Problem schema itself (see problemResponses).
  const mediaType =
    schema === Problem
      ? PROBLEM_CONTENT_TYPE
      : eventStream && status === 200
        ? 'text/event-stream'
        : 'application/json';
  return {
    description:
      mediaType === 'text/event-stream'
        ? 'Server-sent events; each event carries this schema as its data'
        : (STATUS_CODES[status] ?? `Status ${status}`),
    content: { [mediaType]: { schema: responses.use(schema) } },
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

type Json = SchemaObject | ReferenceObject;

/**
 * The JSON Schemas of one direction, requests (`input`) or responses (`output`). zod converts
 * them all at once from a registry, so that a component anywhere inside another schema
 * becomes a `$ref`; schemas that are not components get an id of their own for the
 * conversion and are written out wherever they are used.
 */
class JsonSchemas {
  readonly #io: 'input' | 'output';
  readonly #registry = z.registry<{ id: string }>();
  readonly #componentIds: Set<string>;
  readonly #used = new Set<string>();
  #unnamed = 0;
  #converted: Record<string, SchemaObject> | undefined;

  constructor(io: 'input' | 'output', components: Record<string, Schema>) {
    this.#io = io;
    for (const [id, schema] of Object.entries(components)) this.#registry.add(schema, { id });
    this.#componentIds = new Set(Object.keys(components));
  }

  /** Includes a schema in the conversion; add them all before using any. */
  add(schema: Schema): void {
    if (this.#registry.has(schema)) return;
    if (this.#converted) throw new Error('Add every schema before using one');
    this.#registry.add(schema, { id: `unnamed-${this.#unnamed++}` });
  }

  /** A schema as a request body or response uses it: a `$ref` when it is a component. */
  use(schema: Schema): Json {
    const id = this.#idOf(schema);
    return this.#componentIds.has(id)
      ? this.#note({ $ref: COMPONENT_URI + id })
      : this.#note(this.#written(id));
  }

  /** A schema written out even when it is a component, to list its properties one by one. */
  expand(schema: Schema): SchemaObject {
    return this.#note(this.#written(this.#idOf(schema)));
  }

  /** A component, if any schema used so far refers to it. */
  usedComponent(name: string): SchemaObject | undefined {
    return this.#used.has(name) ? this.#written(name) : undefined;
  }

  #idOf(schema: Schema): string {
    const id = this.#registry.get(schema)?.id;
    if (id === undefined) throw new Error('Add the schema before using it');
    return id;
  }

  #written(id: string): SchemaObject {
    this.#converted ??= this.#convert();
    const schema = this.#converted[id];
    if (!schema) throw new Error(`No schema ${id}`);
    return schema;
  }

  #convert(): Record<string, SchemaObject> {
    const { schemas } = z.toJSONSchema(this.#registry, {
      io: this.#io,
      uri: (id) => (this.#componentIds.has(id) ? COMPONENT_URI : INLINE_URI) + id,
    });
    const converted: Record<string, SchemaObject> = {};
    for (const [id, { $schema, $id, ...schema }] of Object.entries(schemas)) {
      converted[id] = schema as SchemaObject;
    }
    // A schema that is not a component has no place in the document to refer to.
    const inline = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(inline);
      if (typeof value !== 'object' || value === null) return value;
      const ref = (value as ReferenceObject).$ref;
      if (typeof ref === 'string' && ref.startsWith(INLINE_URI)) {
        return inline(converted[ref.slice(INLINE_URI.length)]);
      }
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, inline(item)]));
    };
    for (const id of Object.keys(converted)) converted[id] = inline(converted[id]) as SchemaObject;
    return converted;
  }

  /** Records the components `json` refers to, and the ones those refer to in turn. */
  #note<J extends Json>(json: J): J {
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) {
        value.forEach(visit);
      } else if (typeof value === 'object' && value !== null) {
        const ref = (value as ReferenceObject).$ref;
        if (typeof ref === 'string' && ref.startsWith(COMPONENT_URI)) {
          const name = ref.slice(COMPONENT_URI.length);
          if (!this.#used.has(name)) {
            this.#used.add(name);
            visit(this.#written(name));
          }
        }
        Object.values(value).forEach(visit);
      }
    };
    visit(json);
    return json;
  }
}
