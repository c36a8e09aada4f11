import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import {
  CreateOrderRequest,
  DeadLetter,
  DeadLetterList,
  FaultSettings,
  gatewayApi,
  HealthStatus,
  LiveClientMessage,
  LiveServerMessage,
  Menu,
  MenuItem,
  Order,
  OrderDetails,
  OrderEvent,
  OrderLine,
  OrderLineRequest,
  OrderPage,
  OrderStatusEvent,
  OrderTimeline,
  Payment,
  PayOrderRequest,
  SetStockRequest,
  StockLevel,
  Ticket,
  TicketLine,
  TicketList,
  TokenRequest,
  TokenResponse,
  ValidationIssue,
} from '@cheesecake/contracts';
import { Router } from 'express';
import type { OpenAPIObject } from 'openapi3-ts/oas31';
import { z } from 'zod';
import { openApiDocument } from './openapi.js';
import { gatewayResponseHeaders, RESPONSE_HEADERS } from './response-headers.js';

const require = createRequire(import.meta.url);

// Swagger UI's own files, from the swagger-ui-dist package: the gateway may run offline,
// so nothing comes from a CDN. Served from the package folder as root, since the path to
// it may have a dot folder in it (pnpm's node_modules/.pnpm), which sendFile refuses.
const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
const SWAGGER_UI_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png'];

// No inline script or handler: the initializer is a file of its own, so helmet's default
// Content-Security-Policy (script-src 'self') lets the page run.
const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Cheesecake API</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css">
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/swagger-initializer.js"></script>
  </body>
</html>
`;

// validatorUrl: null keeps Swagger UI from sending the document to its public validator.
const INITIALIZER = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
});
`;

/**
 * `GET /openapi.json`, the public API's OpenAPI document built from the contract records,
 * and `GET /docs`, Swagger UI showing it. Both are anonymous.
 */
export function docsRoutes(): Router {
  const { version } = z.object({ version: z.string() }).parse(require('../../package.json'));
  const document = gatewayOpenApiDocument(version);
  const router = Router();

  // no-cache: a browser may keep these but asks again (answered 304 by ETag) after a deploy.
  router.get('/openapi.json', (_req, res) => {
    res.set('cache-control', 'no-cache').json(document);
  });
  router.get('/docs', (_req, res) => {
    res.set('cache-control', 'no-cache').type('html').send(PAGE);
  });
  router.get('/docs/swagger-initializer.js', (_req, res) => {
    res.set('cache-control', 'no-cache').type('js').send(INITIALIZER);
  });
  for (const file of SWAGGER_UI_FILES) {
    router.get(`/docs/${file}`, (_req, res) => {
      res.sendFile(file, { root: SWAGGER_UI_DIR });
    });
  }
  return router;
}

const DESCRIPTION = `The public API of Cheesecake, a reference ordering system: order a cheesecake, pay for it, and follow the kitchen preparing it.

Get a token from \`POST /api/auth/token\` and send it as \`Authorization: Bearer <token>\`. The demo users are alice and bob (customers), kai (kitchen) and ada (admin), each with the password \`cheesecake\` unless the gateway sets another.

Errors are RFC 9457 problem documents (\`application/problem+json\`) carrying the request id; every response carries \`X-Request-Id\`.`;

/** The OpenAPI 3.1 document of the public API, as the gateway serves it at `/openapi.json`. */
export function gatewayOpenApiDocument(version: string): OpenAPIObject {
  return openApiDocument(gatewayApi, {
    info: {
      title: 'Cheesecake',
      version,
      description: DESCRIPTION,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    // Relative: the API is wherever this document was fetched from.
    servers: [
      {
        url: '/',
        description: 'The gateway that served this document, local or production alike',
        'x-internal': false,
      },
    ],
    components: {
      TokenRequest,
      TokenResponse,
      Menu,
      MenuItem,
      CreateOrderRequest,
      OrderLineRequest,
      PayOrderRequest,
      Order,
      OrderLine,
      OrderPage,
      OrderDetails,
      Payment,
      Ticket,
      TicketLine,
      TicketList,
      SetStockRequest,
      StockLevel,
      OrderStatusEvent,
      OrderTimeline,
      OrderEvent,
      LiveClientMessage,
      LiveServerMessage,
      DeadLetter,
      DeadLetterList,
      FaultSettings,
      HealthStatus,
      ValidationIssue,
    },
    headers: RESPONSE_HEADERS,
    headersOf: gatewayResponseHeaders,
    // `/api/orders/...` is listed under orders, `/healthz` and `/readyz` under health.
    tagOf: ({ path }) => (path.startsWith('/api/') ? (path.split('/')[2] ?? 'api') : 'health'),
  });
}
