import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { gatewayOpenApiDocument } from '@cheesecake/contracts';
import { Router } from 'express';
import { z } from 'zod';

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
