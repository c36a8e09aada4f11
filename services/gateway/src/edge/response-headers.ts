import {
  gatewayApi,
  IdempotencyHeaders,
  type PublicEndpoint,
  REQUEST_ID_PATTERN,
} from '@cheesecake/contracts';
import type { HeaderObject, HeadersObject } from 'openapi3-ts/oas31';
import { headerRef } from './openapi.js';

/**
 * The response headers clients rely on, as the gateway's OpenAPI document describes them.
 * None has a URL `format`: the document describes no URL at all, so that a field a client
 * could hand the gateway a URL in stands out (e2e/test/security.test.ts).
 */
export const RESPONSE_HEADERS = {
  'X-Request-Id': {
    description:
      "The request's id, also in every problem document and log line: the client's own `X-Request-Id` when it is up to 128 letters, digits or `_.:-`, a new one otherwise.",
    required: true,
    schema: { type: 'string', maxLength: 128, pattern: REQUEST_ID_PATTERN.source },
  },
  'Access-Control-Allow-Origin': {
    description:
      "The page's origin, on an answer to a browser page whose `Origin` is one the gateway is configured to allow (`CORS_ALLOWED_ORIGINS`); absent otherwise, so no other site's page may read the answer.",
    schema: { type: 'string', maxLength: 200 },
  },
  RateLimit: {
    description:
      'What is left of the caller\'s budget for the minute (IETF draft-ietf-httpapi-ratelimit-headers-08), such as `"requests"; r=57; t=42`: requests remaining and seconds until it refills. A token request also carries the `"logins"` budget of its username.',
    schema: { type: 'string', maxLength: 200 },
  },
  'RateLimit-Policy': {
    description:
      'The budgets that apply (IETF draft-ietf-httpapi-ratelimit-headers-08), such as `"requests"; q=120; w=60; pk=:…:`: so many requests in so many seconds, counted per partition key `pk`.',
    schema: { type: 'string', maxLength: 300 },
  },
  'Retry-After': {
    description:
      'Seconds to wait before trying again: on a 429, until the budget refills; on a 503, when it is known when the service will take calls again.',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86_400 },
  },
  ETag: {
    description:
      'A strong entity tag of the menu; send it back as `If-None-Match` to be answered 304 while the menu is unchanged.',
    required: true,
    schema: { type: 'string', maxLength: 64 },
  },
  Location: {
    description: 'The path of the new resource, such as `/api/orders/{orderId}`.',
    required: true,
    schema: { type: 'string', maxLength: 200, pattern: '^/api/' },
  },
  'Idempotent-Replayed': {
    description:
      '`true` on an answer kept from an earlier request with the same `Idempotency-Key` and replayed, not produced again; absent otherwise.',
    schema: { type: 'string', enum: ['true'] },
  },
} satisfies Record<string, HeaderObject>;

type HeaderName = keyof typeof RESPONSE_HEADERS;

/**
 * The headers of one answer of the public API, all of them under `/api`: the request id on
 * all but the WebSocket's 101 (which the WebSocket library writes), CORS and the rate limit,
 * when to retry on a 429 or 503, the menu's entity tag, a new resource's location, and the
 * replay mark of routes taking an `Idempotency-Key`.
 */
export function gatewayResponseHeaders(endpoint: PublicEndpoint, status: number): HeadersObject {
  // The health checks are answered before the gateway's edge, so without CORS or a rate
  // limit; their X-Request-Id, which they carry too, the document's description mentions.
  if (!endpoint.path.startsWith('/api/') || status === 101) return {};
  const names: HeaderName[] = [
    'X-Request-Id',
    'Access-Control-Allow-Origin',
    'RateLimit',
    'RateLimit-Policy',
  ];
  if (status === 429 || status === 503) names.push('Retry-After');
  if (endpoint === gatewayApi.getMenu && (status === 200 || status === 304)) names.push('ETag');
  if (status === 201) names.push('Location');
  if (endpoint.headers === IdempotencyHeaders && status < 500) names.push('Idempotent-Replayed');
  return Object.fromEntries(names.map((name) => [name, headerRef(name)]));
}
