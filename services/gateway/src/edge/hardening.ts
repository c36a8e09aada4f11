import cors from 'cors';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's defaults: a Content-Security-Policy that lets pages load only their own
 * scripts and styles, `nosniff`, no framing, no referrer across origins. Strict-Transport-Security
 * only when the gateway serves HTTPS itself: over plain HTTP (TLS, where there is any, ending
 * in front of it, which sets its own) it would break /docs for anyone not on localhost, and so
 * would upgrading insecure requests.
 */
export function securityHeaders(options: { https: boolean }): RequestHandler {
  return helmet({
    strictTransportSecurity: options.https,
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
