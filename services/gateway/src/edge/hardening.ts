import cors from 'cors';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's defaults: a Content-Security-Policy that lets pages load only their own
 * scripts and styles, `nosniff`, no framing, no referrer across origins.
 * Strict-Transport-Security only when the gateway serves HTTPS itself: where TLS ends in
 * front of it, that proxy decides. Never `upgrade-insecure-requests`: over plain HTTP it would
 * send /docs's scripts to an https address nobody serves, for anyone not on localhost.
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
