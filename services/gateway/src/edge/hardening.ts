import cors from 'cors';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's defaults: a Content-Security-Policy that lets pages load only their own
 * scripts and styles, `nosniff`, no framing, no referrer across origins. Except the two
 * that tell browsers to switch to HTTPS: the gateway speaks plain HTTP (TLS, where there is
 * any, ends in front of it), so they would break /docs for anyone not on localhost.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    strictTransportSecurity: false,
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  });
}

/**
 * CORS for the browser origins in `allowedOrigins` and no others; none when it is empty.
 * Tokens travel in `Authorization`, never in cookies, so credentials are not allowed either.
 */
export function crossOriginAccess(allowedOrigins: readonly string[]): RequestHandler {
  return cors({
    origin: allowedOrigins.length > 0 ? [...allowedOrigins] : false,
    credentials: false,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: [
      'authorization',
      'content-type',
      'if-none-match',
      'last-event-id',
      'traceparent',
      'tracestate',
      'x-request-id',
    ],
    // What a page may read besides the CORS-safelisted headers.
    exposedHeaders: [
      'etag',
      'location',
      'ratelimit',
      'ratelimit-policy',
      'retry-after',
      'x-request-id',
    ],
    maxAge: 600,
  });
}
