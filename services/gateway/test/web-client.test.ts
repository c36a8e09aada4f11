import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expectProblem, silentLogger } from '@cheesecake/service-kit/testing';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { aMenu, startSystem, type TestSystem } from './support.js';

// What a browser sends when it navigates to a page.
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

const PAGE = `<!doctype html>
<html lang="en">
  <head><title>Cheesecake</title><script type="module" src="/assets/index-abc123.js"></script></head>
  <body><div id="root"></div></body>
</html>
`;
const SCRIPT = 'console.log("cheesecake");\n';
const STYLE = 'body { margin: 0; }\n';
const ICON = '<svg xmlns="http://www.w3.org/2000/svg"/>\n';
const SECRET = 'next to the web client, never served';

let folder: string;
let system: TestSystem;

// The client as vite builds it, in `dist`, with a file beside `dist` that must stay out of reach.
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cheesecake-web-client-'));
  const dist = join(folder, 'dist');
  await mkdir(join(dist, 'assets'), { recursive: true });
  await writeFile(join(dist, 'index.html'), PAGE);
  await writeFile(join(dist, 'favicon.svg'), ICON);
  await writeFile(join(dist, 'assets', 'index-abc123.js'), SCRIPT);
  await writeFile(join(dist, 'assets', 'index-abc123.css'), STYLE);
  await writeFile(join(dist, '.env'), SECRET);
  await writeFile(join(folder, 'secret.txt'), SECRET);
  system = await startSystem(
    { order: { getMenu: async () => ({ status: 200, body: aMenu() }) } },
    {},
    silentLogger(),
    dist,
  );
});
afterAll(async () => {
  await system.close();
  await rm(folder, { recursive: true, force: true });
});

describe('GET /', () => {
  it('returns the page to a browser, which must ask again before using a kept copy', async () => {
    const res = await request(system.gateway).get('/').set('accept', BROWSER_ACCEPT);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.text).toBe(PAGE);
  });

  it('returns the page with the same Content-Security-Policy as the API', async () => {
    const api = await request(system.gateway).get('/api/menu');

    const res = await request(system.gateway).get('/').set('accept', BROWSER_ACCEPT);

    expect(api.status).toBe(200);
    const policy = res.headers['content-security-policy'];
    expect(policy).toBe(api.headers['content-security-policy']);
    expect(policy).toContain("script-src 'self';");
    expect(policy).not.toContain('unsafe-eval');
    expect(policy?.split(';').find((directive) => directive.startsWith('script-src '))).toBe(
      "script-src 'self'",
    );
  });

  it('returns the headers of the page to HEAD, without the page', async () => {
    const res = await request(system.gateway).head('/').set('accept', BROWSER_ACCEPT);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.text).toBeUndefined();
  });

  it('does not answer POST / with the page', async () => {
    const res = await request(system.gateway).post('/').set('accept', BROWSER_ACCEPT);

    expectProblem(res, 404, 'not-found');
  });
});

describe('GET a path of the page, such as /orders/{id}', () => {
  it.each(['/orders/ord_abc', '/kitchen', '/ops', '/sign-in'])(
    'returns the page for %s, so that the page shows it',
    async (path) => {
      const res = await request(system.gateway).get(path).set('accept', BROWSER_ACCEPT);

      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.text).toBe(PAGE);
    },
  );

  it.each(['application/json', '*/*'])(
    'returns 404 problem+json to a client that accepts %s',
    async (accept) => {
      const res = await request(system.gateway).get('/orders/ord_abc').set('accept', accept);

      expectProblem(res, 404, 'not-found');
    },
  );

  it('returns 404 problem+json to a client that sends no Accept', async () => {
    const res = await request(system.gateway).get('/orders/ord_abc').unset('accept');

    expectProblem(res, 404, 'not-found');
  });
});

describe('GET /assets/{file}', () => {
  it.each([
    ['/assets/index-abc123.js', /javascript/, SCRIPT],
    ['/assets/index-abc123.css', /^text\/css/, STYLE],
  ])(
    'returns %s to be kept for good, its name changing with its content',
    async (path, type, body) => {
      const res = await request(system.gateway).get(path).set('accept', '*/*');

      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(type);
      expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(res.text).toBe(body);
    },
  );

  it('returns a file outside /assets, whose name stays, to be asked for again', async () => {
    const res = await request(system.gateway).get('/favicon.svg').set('accept', '*/*');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body.toString()).toBe(ICON);
  });

  it('returns 404 problem+json for a file that is not there', async () => {
    const res = await request(system.gateway).get('/assets/index-old999.js').set('accept', '*/*');

    expectProblem(res, 404, 'not-found');
  });

  it('does not list a folder', async () => {
    const res = await request(system.gateway).get('/assets/').set('accept', '*/*');

    expectProblem(res, 404, 'not-found');
  });

  it('does not serve a dotfile', async () => {
    const res = await request(system.gateway).get('/.env').set('accept', '*/*');

    expectProblem(res, 404, 'not-found');
  });
});

describe('a path with .. in it', () => {
  const climbing = [
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
  ];

  it.each(climbing)(
    'returns 404 problem+json for %s, not the file beside the folder',
    async (path) => {
      const res = await request(system.gateway).get(path).set('accept', '*/*');

      expectProblem(res, 404, 'not-found');
      expect(res.text).not.toContain(SECRET);
    },
  );

  it.each(climbing)('returns the page to a browser for %s, not the file', async (path) => {
    const res = await request(system.gateway).get(path).set('accept', BROWSER_ACCEPT);

    expect(res.status).toBe(200);
    expect(res.text).toBe(PAGE);
  });
});

describe("the gateway's own paths, asked for by a browser", () => {
  it.each([
    ['/api/menu', 200, /^application\/json/],
    ['/docs', 200, /^text\/html/],
    ['/openapi.json', 200, /^application\/json/],
    ['/healthz', 200, /^application\/json/],
    ['/metrics', 200, /^text\/plain/],
    ['/api/orders/ord_abc', 401, /^application\/problem\+json/],
    ['/API/orders/ord_abc', 401, /^application\/problem\+json/],
    ['/docs/index.html', 404, /^application\/problem\+json/],
    ['/api/no-such-route', 404, /^application\/problem\+json/],
  ])('answers %s itself, with %i and not the page', async (path, status, type) => {
    const res = await request(system.gateway).get(path).set('accept', BROWSER_ACCEPT);

    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(type);
    expect(res.text).not.toBe(PAGE);
  });
});

describe('GET / without a built web client', () => {
  it('returns 404 problem+json and warns once, naming the command that builds it', async () => {
    const { log, entries } = capturedLog();
    const empty = await mkdtemp(join(tmpdir(), 'cheesecake-no-web-client-'));
    onTestFinished(() => rm(empty, { recursive: true, force: true }));
    const unbuilt = await startSystem({}, {}, log, empty);
    onTestFinished(() => unbuilt.close());

    const res = await request(unbuilt.gateway).get('/').set('accept', BROWSER_ACCEPT);

    expectProblem(res, 404, 'not-found');
    const warnings = entries.filter((entry) => entry.msg.includes('web client'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toContain('pnpm --filter @cheesecake/web build');
  });
});

function capturedLog() {
  const entries: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n').filter(Boolean)) entries.push(JSON.parse(line));
      callback();
    },
  });
  return { log: pino({ level: 'info' }, stream), entries };
}
