import { createHash, createHmac, randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type EndUser, Problem } from '@cheesecake/contracts';
import { PGlite } from '@electric-sql/pglite';
import express, { type Express, Router } from 'express';
import { expect, inject } from 'vitest';
import { createServiceApp } from './app.js';
import { DEVELOPMENT_INTERNAL_TOKEN_SECRET } from './config.js';
import { type Database, openDatabase, pgliteDatabase } from './database.js';
import {
  INTERNAL_CREDENTIAL_LIFETIME_SECONDS,
  pathOf,
  requireInternalCredential,
  signInternalToken,
} from './internal-auth.js';
import { createLogger, type Logger } from './logger.js';
import { runMigrations } from './migrations.js';
import type {} from './postgres-global-setup.js';
import { createTestDatabase } from './test-postgres.js';

export { freePort } from './test-postgres.js';

import type { TestDatabaseEngine } from './vitest-projects.js';

/** The internal secret tests sign with (the development default). */
export const TEST_INTERNAL_SECRET = DEVELOPMENT_INTERNAL_TOKEN_SECRET;

/** A logger that writes nothing, for tests. */
export function silentLogger(): Logger {
  return createLogger('test', 'silent');
}

/**
 * An `Authorization` header value carrying an internal credential from `issuer` to
 * `audience`, for a request of `method` to `path`.
 */
export async function internalAuthorization(options: {
  issuer: string;
  audience: string;
  method: string;
  path: string;
  user?: EndUser;
}): Promise<string> {
  return `Bearer ${await signInternalToken({ secret: TEST_INTERNAL_SECRET, ...options })}`;
}

/** The part of a supertest (superagent) request a {@link TestCredential} uses. */
export interface SignableRequest {
  method: string;
  url: string;
  set(field: string, value: string): unknown;
}

/**
 * An internal credential for tests, signed for each request it is used on. As a supertest
 * plugin it signs that request's method and path, used after both are set:
 * `request(app).get('/orders').use(credential)`; `for(method, path)` gives the
 * `Authorization` value for any other client.
 */
export interface TestCredential {
  (req: SignableRequest): void;
  /** The `Authorization` header value for a request of `method` to `path` (query ignored). */
  for(method: string, path: string): string;
}

/**
 * A {@link TestCredential} from `issuer` to `audience`, for `user` if any. It signs
 * synchronously (HS256 with the test secret), since a supertest plugin cannot wait; the
 * service verifies it as any other credential.
 */
export function internalCredential(options: {
  issuer: string;
  audience: string;
  user?: EndUser | undefined;
}): TestCredential {
  const authorization = (method: string, path: string) =>
    `Bearer ${signTestCredential({
      iss: `cheesecake:${options.issuer}`,
      aud: `cheesecake:${options.audience}`,
      htm: method.toUpperCase(),
      htu: pathOf(path),
      ...(options.user ? { sub: options.user.id, role: options.user.role } : {}),
    })}`;
  const plugin = (req: SignableRequest) => {
    req.set(
      'authorization',
      authorization(req.method, new URL(req.url, 'http://localhost').pathname),
    );
  };
  return Object.assign(plugin, { for: authorization });
}

/**
 * An HS256 JWT with these claims signed with `secret` (the test secret by default), issued
 * now and living the full lifetime unless `iat` or `exp` say otherwise (`undefined` leaves
 * the claim out): for tests of credentials that must be refused.
 */
export function signTestCredential(
  claims: Record<string, unknown>,
  secret: string = TEST_INTERNAL_SECRET,
): string {
  const iat = Math.floor(Date.now() / 1000);
  const payload = { iat, exp: iat + INTERNAL_CREDENTIAL_LIFETIME_SECONDS, ...claims };
  const encode = (part: unknown) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256' })}.${encode(payload)}`;
  const signature = createHmac('sha256', secret).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}

const TEN_YEARS_SECONDS = 10 * 365 * 24 * 60 * 60;

/**
 * Credentials for a request of `method` to `path` that a service must answer with 401, though
 * each is signed with the test secret and meant for `audience`, and `issuer` is a caller the
 * service expects: each is named by what is wrong with it.
 */
export function refusedInternalCredentials(options: {
  issuer: string;
  audience: string;
  method: string;
  path: string;
}): Array<[reason: string, authorization: string]> {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: `cheesecake:${options.issuer}`,
    aud: `cheesecake:${options.audience}`,
    htm: options.method.toUpperCase(),
    htu: pathOf(options.path),
  };
  const otherMethod = claims.htm === 'GET' ? 'POST' : 'GET';
  const bearer = (signed: string) => `Bearer ${signed}`;
  return [
    ['signed with another secret', bearer(signTestCredential(claims, 'not-the-secret'))],
    [
      'from an issuer it does not expect',
      bearer(signTestCredential({ ...claims, iss: 'cheesecake:evil' })),
    ],
    ['living ten years', bearer(signTestCredential({ ...claims, exp: now + TEN_YEARS_SECONDS }))],
    [
      'issued in the future',
      bearer(signTestCredential({ ...claims, iat: now + 120, exp: now + 180 })),
    ],
    ['made for another method', bearer(signTestCredential({ ...claims, htm: otherMethod }))],
    [
      'made for another path',
      bearer(signTestCredential({ ...claims, htu: `${claims.htu}/elsewhere` })),
    ],
    [
      'without a method or path',
      bearer(signTestCredential({ ...claims, htm: undefined, htu: undefined })),
    ],
    ['without iat', bearer(signTestCredential({ ...claims, iat: undefined }))],
  ];
}

/** A real HTTP server on a free port; `close` stops it. */
export interface RunningServer {
  url: string;
  /** The listening server, for what express does not see, such as WebSocket upgrades. */
  server: Server;
  close(): Promise<void>;
}

/** Starts an express app (a stub of a downstream, or a service) on port 0 of 127.0.0.1. */
export async function startServer(app: Express): Promise<RunningServer> {
  const server: Server = await new Promise((resolve) => {
    const started = app.listen(0, '127.0.0.1', () => resolve(started));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The engine this run's database tests use: set per vitest project (see `databaseProjects`). */
export function testDatabaseEngine(): TestDatabaseEngine {
  return process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'pglite';
}

/**
 * The URL of a new, empty database on the run's PostgreSQL server (its name starts with
 * `name`), for tests that open it more than once (two replicas of a service) or hand it to
 * a process; only in the `postgres` project.
 */
export function newTestDatabaseUrl(name = 'test'): Promise<string> {
  if (testDatabaseEngine() !== 'postgres') {
    throw new Error('newTestDatabaseUrl needs the postgres project (TEST_DATABASE=postgres)');
  }
  return createTestDatabase(inject('testPostgres'), name);
}

/**
 * A throwaway database with the given migrations applied: in memory on PGlite, or a new
 * database on the run's PostgreSQL server in the `postgres` project.
 */
export async function openTestDatabase(migrationDirectories: string[]): Promise<Database> {
  const log = silentLogger();
  if (testDatabaseEngine() === 'postgres') {
    const db = await openDatabase({ url: await newTestDatabaseUrl(), dataDir: '', log });
    await runMigrations(db, migrationDirectories, log);
    return db;
  }
  const image = await migratedPgliteImage(migrationDirectories);
  return pgliteDatabase(await PGlite.create({ loadDataDir: image }));
}

/**
 * The data directory of a PGlite with these migrations applied, as an image that a new
 * PGlite starts from: that skips its initdb and the migrations, seconds per database.
 * Kept in the system's temporary directory under a hash of the migrations and the PGlite
 * version, so every test worker and run shares it, and a changed migration makes a new one.
 */
async function migratedPgliteImage(migrationDirectories: string[]): Promise<Blob> {
  const hash = createHash('sha256').update(pgliteVersion());
  for (const directory of migrationDirectories) {
    for (const file of readdirSync(directory).sort()) {
      hash.update(`${directory}\0${file}\0`).update(readFileSync(join(directory, file)));
    }
  }
  const path = join(tmpdir(), 'cheesecake-pglite-images', `${hash.digest('hex')}.tar`);
  if (existsSync(path)) return new Blob([readFileSync(path)]);

  const pglite = await PGlite.create();
  await runMigrations(pgliteDatabase(pglite), migrationDirectories, silentLogger());
  const image = await pglite.dumpDataDir('none');
  await pglite.close();
  // Written aside and renamed, so a worker never reads an image another is still writing.
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.${randomUUID()}`;
  writeFileSync(partial, Buffer.from(await image.arrayBuffer()));
  renameSync(partial, path);
  return image;
}

/** The installed PGlite's version, read from its package.json (which it does not export). */
function pgliteVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  while (dirname(dir) !== dir) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name, version } = JSON.parse(readFileSync(manifest, 'utf8'));
      if (name === '@electric-sql/pglite') return String(version);
    }
    dir = dirname(dir);
  }
  throw new Error('Cannot find the package.json of @electric-sql/pglite');
}

/** The services that call others, which a stub accepts credentials from unless told otherwise. */
const STUB_CALLERS = ['gateway', 'order', 'kitchen'];

/**
 * A stand-in for a service on a real port of 127.0.0.1: the shared skeleton with the
 * service's internal credential check, and the routes `defineRoutes` mounts (with
 * `handle()` and the service's endpoint records); it accepts credentials from `callers`.
 */
export async function startStubService(
  service: string,
  defineRoutes: (router: Router) => void,
  callers: readonly string[] = STUB_CALLERS,
): Promise<RunningServer> {
  const router = Router();
  defineRoutes(router);
  return startServer(
    createServiceApp({
      log: silentLogger(),
      bodyLimit: '1mb',
      authenticate: requireInternalCredential({ secret: TEST_INTERNAL_SECRET, service, callers }),
      readiness: async () => ({}),
      routes: [router],
    }),
  );
}

/** An HTTP answer as a test client such as supertest gives it. */
export interface TestResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: unknown;
}

/** Asserts a problem+json answer of this status and type code, and returns the problem. */
export function expectProblem(res: TestResponse, status: number, code: string): Problem {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = Problem.parse(res.body);
  expect(problem.type).toBe(`urn:cheesecake:problem:${code}`);
  return problem;
}

// Taken when this module loads, before a test fakes the clock, so `until` polls on real time.
const realSetTimeout = globalThis.setTimeout;

/** Resolves once `condition` holds, checked every few milliseconds; only the test's timeout bounds it. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => realSetTimeout(resolve, 5));
}

/** An event a test waits for: `happened` resolves once `happen` is called. */
export interface Signal {
  happen(): void;
  happened: Promise<void>;
}

/** A new event that has not happened yet. */
export function signal(): Signal {
  let happen = () => {};
  const happened = new Promise<void>((resolve) => {
    happen = resolve;
  });
  return { happen, happened };
}

/** The ways a downstream fails before it answers, each made for real by {@link failingUrl}. */
export type NetworkFailure = 'refused' | 'reset' | 'name not found' | 'timeout';

/** Where a failing downstream is, and how to stop whatever listens there. */
export interface FailingUrl {
  url: string;
  close(): Promise<void>;
}

/**
 * A URL for `service` where every call fails as `failure` says: a port nothing listens on, a
 * server that destroys each socket, a host under `.invalid` (RFC 6761), a server that never answers.
 */
export async function failingUrl(failure: NetworkFailure, service: string): Promise<FailingUrl> {
  const nothing = async () => {};
  switch (failure) {
    case 'refused':
      return { url: `http://127.0.0.1:${await refusingPort()}`, close: nothing };
    case 'reset': {
      const resetting = express();
      resetting.use((req) => req.socket.destroy());
      return startServer(resetting);
    }
    case 'name not found':
      return { url: `http://${service}.invalid:3000`, close: nothing };
    case 'timeout': {
      const silent = express();
      silent.use(() => {});
      return startServer(silent);
    }
  }
}

// Ports below 1024 are never handed out for port 0, so no other test's server can take one
// between the check and the call, as it could a port a test server has just let go of.
const REFUSING_PORT_CANDIDATES = [1, 9, 47, 49, 51, 61, 83, 85, 87, 89];
let refusingPortFound: Promise<number> | undefined;

/** A loopback port where connections are refused: checked once, then the same for the run. */
function refusingPort(): Promise<number> {
  refusingPortFound ??= (async () => {
    for (const port of REFUSING_PORT_CANDIDATES) {
      if (await isRefused(port)) return port;
    }
    throw new Error(`Something listens on every port of ${REFUSING_PORT_CANDIDATES.join(', ')}`);
  })();
  return refusingPortFound;
}

function isRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/** A budget for calls that should be answered or fail outright, so a loaded machine never turns them into timeouts. */
export const GENEROUS_TIMEOUT_MS = 30_000;

/** The budget for calls to a downstream that never answers, short so the call fails soon. */
export const SHORT_TIMEOUT_MS = 500;

/**
 * Each way a downstream fails, the caller's budget for it (short only where it times out),
 * and the problem a service answers the failed call with.
 */
export const NETWORK_FAILURES: ReadonlyArray<{
  failure: NetworkFailure;
  timeoutMs: number;
  status: number;
  code: string;
  reason: RegExp;
}> = [
  {
    failure: 'refused',
    timeoutMs: GENEROUS_TIMEOUT_MS,
    status: 503,
    code: 'service-unavailable',
    reason: /\(ECONNREFUSED\)$/,
  },
  {
    failure: 'reset',
    timeoutMs: GENEROUS_TIMEOUT_MS,
    status: 503,
    code: 'service-unavailable',
    reason: /\(ECONNRESET\)$/,
  },
  {
    failure: 'name not found',
    timeoutMs: GENEROUS_TIMEOUT_MS,
    status: 503,
    code: 'service-unavailable',
    reason: /\((ENOTFOUND|EAI_AGAIN)\)$/,
  },
  {
    failure: 'timeout',
    timeoutMs: SHORT_TIMEOUT_MS,
    status: 504,
    code: 'gateway-timeout',
    reason: new RegExp(`within ${SHORT_TIMEOUT_MS} ms$`),
  },
];
