import { existsSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { Logger } from '@cheesecake/service-kit';
import express, { type Request, Router } from 'express';

// The paths the gateway answers itself, each with everything under it: never the web client's.
const GATEWAY_PATHS = ['/api', '/docs', '/openapi.json', '/healthz', '/readyz', '/metrics'];

const PAGE = 'index.html';
// Vite names these by their content, so a new build brings new names.
const IMMUTABLE = 'public, max-age=31536000, immutable';
// The page and the unhashed files: a browser may keep them but asks again (304 by ETag).
const REVALIDATE = 'no-cache';

/**
 * The web client built into `dir`: its files, and its page for every navigation outside the
 * gateway's own paths, so that deep links reach the page's own router.
 */
export function webClientRoutes(dir: string, log: Logger): Router {
  const root = resolve(dir);
  const assets = join(root, 'assets') + sep;
  // Checked once, without failing: the API works without the page.
  if (!existsSync(join(root, PAGE))) {
    log.warn(
      { dir: root },
      'the web client is not built, so / answers 404: run `pnpm --filter @cheesecake/web build`',
    );
  }

  const router = Router();
  // Leaves the router at once: an API request costs no look-up on disk.
  router.use((req, _res, next) => next(isGatewayPath(req.path) ? 'router' : undefined));
  router.use(
    express.static(root, {
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      cacheControl: false,
      setHeaders: (res, path) => {
        res.setHeader('cache-control', path.startsWith(assets) ? IMMUTABLE : REVALIDATE);
      },
    }),
  );
  router.use((req, res, next) => {
    if (!isPageNavigation(req)) {
      next();
      return;
    }
    res.sendFile(
      PAGE,
      { root, cacheControl: false, headers: { 'cache-control': REVALIDATE } },
      (error?: Error & { status?: number }) => {
        if (!error || res.headersSent) return;
        // No page built: the gateway's own 404, as for any path it does not know.
        next(error.status === 404 ? undefined : error);
      },
    );
  });
  return router;
}

// Lower case: express matches routes regardless of case, so `/API/menu` is the API's too.
function isGatewayPath(path: string): boolean {
  const lowerCase = path.toLowerCase();
  return GATEWAY_PATHS.some((prefix) => lowerCase === prefix || lowerCase.startsWith(`${prefix}/`));
}

// A browser asks for a page with text/html in Accept; curl's */* and API clients do not, and
// get the gateway's 404 for a path it does not know. `/` is the page whatever is asked.
function isPageNavigation(req: Request): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  return req.path === '/' || req.accepts().includes('text/html');
}
