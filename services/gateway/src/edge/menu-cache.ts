import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { orderApi } from '@cheesecake/contracts';
import { type Client, ProblemError } from '@cheesecake/service-kit';
import type { RequestHandler } from 'express';
import { passThrough } from '../downstream/downstreams.js';

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
 * strong `ETag` of the body, which makes a matching `If-None-Match` a 304. A request with
 * `Cache-Control: no-cache` is revalidated: the menu is fetched afresh, then compared. While
 * the order service fails, a menu past its TTL is served as it is, except to a revalidation.
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

  const currentMenu = async (revalidate: boolean): Promise<StoredMenu> => {
    if (!revalidate && stored && Date.now() - stored.storedAt < ttlMs) return stored;
    // Requests that miss together share one call to the order service; a revalidation joins
    // a call already on its way, whose answer is no older than one it would start itself.
    loading ??= load()
      .then((menu) => {
        stored = menu;
        return menu;
      })
      .finally(() => {
        loading = undefined;
      });
    if (revalidate || !stored) return loading;
    // A menu past its time beats none while the order service is down (RFC 9111 4.2.4); a
    // client that asked to revalidate is told of the failure instead.
    const stale = stored;
    return loading.catch((error: unknown) => {
      if (error instanceof ProblemError && error.status >= 500) return stale;
      throw error;
    });
  };

  return async (req, res) => {
    const menu = await currentMenu(asksToRevalidate(req.headers));
    res.set({
      etag: menu.etag,
      'cache-control':
        options.ttlSeconds > 0 ? `public, max-age=${options.ttlSeconds}` : 'no-cache',
      age: String(Math.floor((Date.now() - menu.storedAt) / 1_000)),
    });
    // Compared here rather than by express (req.fresh), which never answers 304 to a request
    // carrying no-cache, as every conditional fetch() does, even once it has been revalidated.
    if (ifNoneMatchMatches(req.headers['if-none-match'], menu.etag)) {
      res.status(304).end();
      return;
    }
    res
      .status(200)
      .set({
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(menu.json)),
      })
      .end(menu.json);
  };
}

/**
 * Whether a request asks for revalidation with the origin: `Cache-Control: no-cache` or
 * `max-age=0` (RFC 9111 5.2.1), or, from an HTTP/1.0 client without Cache-Control,
 * `Pragma: no-cache` (5.4).
 */
function asksToRevalidate(headers: IncomingHttpHeaders): boolean {
  const cacheControl = headers['cache-control'];
  if (cacheControl === undefined) return /(^|,)\s*no-cache\s*(,|$)/i.test(headers.pragma ?? '');
  return cacheControl.split(',').some((directive) => {
    const [name = '', value] = directive.split('=').map((part) => part.trim().toLowerCase());
    return name === 'no-cache' || (name === 'max-age' && value === '0');
  });
}

// One entity-tag of a list and the comma or end after it: [W/]"opaque", where the opaque part
// may hold any visible character but a double quote (commas included), RFC 9110 8.8.3.
const LISTED_ETAG = /[ \t]*(?:W\/)?("[\x21\x23-\x7e\x80-\xff]*")[ \t]*(?:,|$)/y;
// List elements may be empty (RFC 9110 5.6.1): `"a", , "b"`.
const EMPTY_ELEMENT = /[ \t]*,/y;

/**
 * Whether an If-None-Match field matches the current ETag (RFC 9110 13.1.2): `*` matches any
 * current representation; otherwise one of its entity-tags must match by the weak comparison,
 * the opaque tags equal whether either is marked `W/` or not. A field that does not parse
 * matches nothing, so the client simply gets the whole answer.
 */
function ifNoneMatchMatches(field: string | undefined, etag: string): boolean {
  if (field === undefined) return false;
  if (field.trim() === '*') return true;
  const current = etag.replace(/^W\//, '');
  let position = 0;
  let matched = false;
  while (position < field.length) {
    EMPTY_ELEMENT.lastIndex = position;
    if (EMPTY_ELEMENT.test(field)) {
      position = EMPTY_ELEMENT.lastIndex;
      continue;
    }
    LISTED_ETAG.lastIndex = position;
    const listed = LISTED_ETAG.exec(field);
    if (!listed) return field.slice(position).trim() === '' && matched;
    if (listed[1] === current) matched = true;
    position = LISTED_ETAG.lastIndex;
  }
  return matched;
}
