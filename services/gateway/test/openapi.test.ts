import { defineEndpoint, gatewayApi, problemResponses } from '@cheesecake/contracts';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { OperationObject, ResponseObject } from 'openapi3-ts/oas31';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { gatewayOpenApiDocument } from '../src/edge/docs.js';
import { BEARER_SECURITY_SCHEME, openApiDocument } from '../src/edge/openapi.js';

const document = gatewayOpenApiDocument('1.2.3');
const records = Object.entries(gatewayApi).map(([name, endpoint]) => ({ name, endpoint }));

function operationOf(path: string, method: string, doc = document): OperationObject {
  const operation = doc.paths?.[path]?.[method as 'get'];
  if (!operation) throw new Error(`No operation ${method} ${path}`);
  return operation;
}

function contentOf(operation: OperationObject, status: number) {
  return (operation.responses?.[status] as ResponseObject | undefined)?.content;
}

describe('gatewayOpenApiDocument', () => {
  it('is a valid OpenAPI 3.1 document whose every $ref resolves', async () => {
    const validator = new Validator();

    const result = await validator.validate(JSON.parse(JSON.stringify(document)));

    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(document.info).toMatchObject({ title: 'Cheesecake', version: '1.2.3' });
  });

  it('keeps no JSON Schema keyword that is out of place inside an OpenAPI document', () => {
    const json = JSON.stringify(document);

    expect(json).not.toContain('"$schema"');
    expect(json).not.toContain('"$id"');
    expect(json).not.toContain('"$defs"');
  });

  it.each(records)(
    'has the operation $name at the OpenAPI form of its path',
    ({ name, endpoint }) => {
      const path = endpoint.path.replace(/:(\w+)/g, '{$1}');

      const operation = operationOf(path, endpoint.method.toLowerCase());

      expect(operation.operationId).toBe(name);
      expect(operation.summary).toBe(endpoint.summary);
      expect(Object.keys(operation.responses ?? {})).toEqual(
        Object.keys(endpoint.responses).map(String),
      );
    },
  );

  it('groups operations by the first part of their path after /api, health apart', () => {
    const tags = Object.fromEntries(
      ['issueToken', 'getMenu', 'payOrder', 'setStock', 'readiness'].map((name) => {
        const { path, method } = gatewayApi[name as keyof typeof gatewayApi];
        return [name, operationOf(path.replace(/:(\w+)/g, '{$1}'), method.toLowerCase()).tags];
      }),
    );

    expect(tags).toEqual({
      issueToken: ['auth'],
      getMenu: ['menu'],
      payOrder: ['orders'],
      setStock: ['kitchen'],
      readiness: ['health'],
    });
  });

  it('has no operation without a record', () => {
    const operations = Object.values(document.paths ?? {}).flatMap((item) =>
      Object.values(item ?? {}),
    );

    expect(operations).toHaveLength(records.length);
  });

  it('describes path parameters as required, with their schema', () => {
    const operation = operationOf('/api/orders/{orderId}', 'get');

    expect(operation.parameters).toEqual([
      {
        name: 'orderId',
        in: 'path',
        required: true,
        schema: expect.objectContaining({ type: 'string' }),
      },
    ]);
  });

  it('describes query parameters as a client sends them: a defaulted one is optional', () => {
    const operation = operationOf('/api/orders', 'get');

    expect(operation.parameters).toEqual([
      {
        name: 'limit',
        in: 'query',
        required: false,
        schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 100, default: 20 },
      },
      expect.objectContaining({ name: 'cursor', in: 'query', required: false }),
      expect.objectContaining({
        name: 'status',
        in: 'query',
        required: false,
        schema: expect.objectContaining({ enum: expect.arrayContaining(['PENDING_PAYMENT']) }),
      }),
    ]);
  });

  it('describes a request body by its component, in the shape a client sends', () => {
    const operation = operationOf('/api/orders', 'post');

    expect(operation.requestBody).toEqual({
      required: true,
      content: {
        'application/json': { schema: { $ref: '#/components/schemas/CreateOrderRequest' } },
      },
    });
    expect(document.components?.schemas?.CreateOrderRequest).toMatchObject({
      type: 'object',
      required: ['items'],
      additionalProperties: false,
      properties: {
        items: { type: 'array', items: { $ref: '#/components/schemas/OrderLineRequest' } },
        notes: { type: 'string', maxLength: 500 },
      },
    });
  });

  it('answers problems as application/problem+json with the Problem schema', () => {
    const responses = operationOf('/api/orders/{orderId}/payment', 'post').responses ?? {};

    expect(responses['402']).toEqual({
      description: 'Payment Required',
      headers: expect.any(Object),
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    });
    expect(responses['200']).toEqual({
      description: 'OK',
      headers: expect.any(Object),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } },
    });
    expect(document.components?.schemas?.Problem).toMatchObject({
      required: ['type', 'title', 'status'],
      properties: { requestId: { type: 'string' } },
    });
  });

  it('answers a readiness failure with its health status, not a problem', () => {
    const content = contentOf(operationOf('/readyz', 'get'), 503);

    expect(content).toEqual({
      'application/json': { schema: { $ref: '#/components/schemas/HealthStatus' } },
    });
  });

  it.each(records.filter(({ endpoint }) => endpoint.access !== 'anyone'))(
    'asks a bearer token for $name and names the roles that may call it',
    ({ endpoint }) => {
      const operation = operationOf(
        endpoint.path.replace(/:(\w+)/g, '{$1}'),
        endpoint.method.toLowerCase(),
      );

      expect(operation.security).toEqual([{ [BEARER_SECURITY_SCHEME]: [] }]);
      expect(operation.description).toBe(`Who may call: ${[...endpoint.access].join(', ')}.`);
    },
  );

  it.each(records.filter(({ endpoint }) => endpoint.access === 'anyone'))(
    'asks no token for $name',
    ({ endpoint }) => {
      const operation = operationOf(
        endpoint.path.replace(/:(\w+)/g, '{$1}'),
        endpoint.method.toLowerCase(),
      );

      expect(operation.security).toEqual([]);
      expect(operation.description).toBe('Who may call: anyone, without a token.');
    },
  );

  it('defines the bearer token scheme', () => {
    expect(document.components?.securitySchemes?.[BEARER_SECURITY_SCHEME]).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
  });
});

describe('openApiDocument', () => {
  const Page = z.object({ limit: z.int().min(1).max(100).default(20) });
  const info = { title: 'Test', version: '0.0.0' };
  const contract = {
    echoPage: defineEndpoint({
      method: 'PUT',
      path: '/pages/:pageId',
      summary: 'Echo a page',
      access: 'anyone',
      params: z.strictObject({ pageId: z.string() }),
      headers: z.looseObject({ 'idempotency-key': z.string().optional() }),
      body: Page.optional(),
      responses: { 200: Page, ...problemResponses(400) },
    }),
  };

  it('writes out a schema that is not a component, as a request where sent and a response where answered', () => {
    const doc = openApiDocument(contract, { info });

    const operation = operationOf('/pages/{pageId}', 'put', doc);
    const answered = contentOf(operation, 200);

    expect(operation.requestBody).toEqual({
      required: false,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: {
              limit: { type: 'integer', format: 'int32', minimum: 1, maximum: 100, default: 20 },
            },
          },
        },
      },
    });
    expect(answered?.['application/json']?.schema).toMatchObject({
      required: ['limit'],
      additionalProperties: false,
    });
    expect(Object.keys(doc.components?.schemas ?? {})).toEqual(['Problem']);
  });

  it('lists header parameters, required only when the schema requires them', () => {
    const doc = openApiDocument(contract, { info });

    const operation = operationOf('/pages/{pageId}', 'put', doc);

    expect(operation.parameters).toEqual([
      { name: 'pageId', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'idempotency-key', in: 'header', required: false, schema: { type: 'string' } },
    ]);
  });

  it('refuses a component that would read differently in requests and in responses', () => {
    expect(() => openApiDocument(contract, { info, components: { Page } })).toThrow(
      'The component Page reads differently in requests and in responses',
    );
  });

  it('describes problems with the Problem component without being told to', () => {
    const doc = openApiDocument(contract, { info });

    const problem = contentOf(operationOf('/pages/{pageId}', 'put', doc), 400);

    expect(problem).toEqual({
      'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
    });
    expect(doc.components?.schemas?.Problem).toMatchObject({
      required: ['type', 'title', 'status'],
    });
  });
});
