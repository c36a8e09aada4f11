import type { Schema } from '@cheesecake/contracts';
import type { ReferenceObject, SchemaObject } from 'openapi3-ts/oas31';
import { z } from 'zod';

/** Where the components a document describes once live, for `$ref`s to them. */
export const COMPONENT_URI = '#/components/schemas/';
const INLINE_URI = '#/inline/';

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

export type Json = SchemaObject | ReferenceObject;

/**
 * The JSON Schemas of one direction, requests (`input`) or responses (`output`). zod converts
 * them all at once from a registry, so that a component anywhere inside another schema
 * becomes a `$ref`; schemas that are not components get an id of their own for the
 * conversion and are written out wherever they are used.
 */
export class JsonSchemas {
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
      override: ({ jsonSchema }) => addIntegerFormat(jsonSchema as SchemaObject),
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

/**
 * OpenAPI's format of an integer, which JSON Schema lacks: `int32` when its bounds fit in 32
 * bits, as every integer column of the databases does, `int64` otherwise.
 */
function addIntegerFormat(schema: SchemaObject): void {
  if (schema.type !== 'integer' || schema.format) return;
  const { minimum = -Infinity, maximum = Infinity } = schema;
  schema.format = minimum >= INT32.min && maximum <= INT32.max ? 'int32' : 'int64';
}
