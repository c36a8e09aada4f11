import { createHash } from 'node:crypto';
import type { Client, orderApi } from '@cheesecake/contracts';
import type { RequestHandler } from 'express';
import { passThrough } from './downstreams.js';

interface StoredMenu {
  /** The JSON exactly as sent, so the ETag names these bytes. */
  json: string;
  etag: string;
  storedAt: number;
}

/**
 * Answers `GET /api/menu` from memory. The menu is the same for everyone, so the gateway
 * keeps the order service's answer for `ttlSeconds` (0: asks every time) and lets clients
 * and shared caches keep it as long: `Cache-Control: public, max-age`, `Age`, and a
 * strong `ETag` of the body, which makes a matching `If-None-Match` a 304.
 */
export function serveMenuFromCache(options: {
  ttlSeconds: number;
  order: Client<typeof orderApi>;
}): RequestHandler {
  const ttlMs = options.ttlSeconds * 1_000;
  let stored: StoredMenu | undefined;
  let loading: Promise<StoredMenu> | undefined;

  const load = async (): Promise<StoredMenu> => {
    const answer = passThrough('order', await options.order.getMenu({}));
    const json = JSON.stringify(answer.body);
    const etag = `"${createHash('sha256').update(json).digest('base64url')}"`;
    return { json, etag, storedAt: Date.now() };
  };

  const currentMenu = async (): Promise<StoredMenu> => {
    if (stored && Date.now() - stored.storedAt < ttlMs) return stored;
    // Requests that miss together share one call to the order service.
    loading ??= load()
      .then((menu) => {
        stored = menu;
        return menu;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };

  return async (_req, res) => {
    const menu = await currentMenu();
    res.set({
      etag: menu.etag,
      'cache-control':
        options.ttlSeconds > 0 ? `public, max-age=${options.ttlSeconds}` : 'no-cache',
      age: String(Math.floor((Date.now() - menu.storedAt) / 1_000)),
    });
    // send() answers 304 without the body when the request's If-None-Match matches the ETag.
    res.type('json').send(menu.json);
  };
}
