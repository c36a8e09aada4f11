import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type EndUser, Problem } from '@cheesecake/contracts';
import { type Express, Router } from 'express';
import { expect } from 'vitest';
import { createServiceApp } from './app.js';
import { DEVELOPMENT_INTERNAL_TOKEN_SECRET } from './config.js';
import { type Database, openDatabase } from './database.js';
import { requireInternalCredential, signInternalToken } from './internal-auth.js';
import { createLogger, type Logger } from './logger.js';
import { runMigrations } from './migrations.js';

/** The internal secret tests sign with (the development default). */
export const TEST_INTERNAL_SECRET = DEVELOPMENT_INTERNAL_TOKEN_SECRET;

/** A logger that writes nothing, for tests. */
export function silentLogger(): Logger {
  return createLogger('test', 'silent');
}

/** An `Authorization` header value carrying an internal credential from `issuer` to `audience`. */
export async function internalAuthorization(options: {
  issuer: string;
  audience: string;
  user?: EndUser;
}): Promise<string> {
  return `Bearer ${await signInternalToken({ secret: TEST_INTERNAL_SECRET, ...options })}`;
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

/** A throwaway in-memory database with the given migrations applied. */
export async function openTestDatabase(migrationDirectories: string[]): Promise<Database> {
  const log = silentLogger();
  const db = await openDatabase({ url: 'memory://', dataDir: '', log });
  await runMigrations(db, migrationDirectories, log);
  return db;
}

/**
 * A stand-in for a service on a real port of 127.0.0.1: the shared skeleton with the
 * service's internal credential check, and the routes `defineRoutes` mounts (with
 * `handle()` and the service's endpoint records).
 */
export async function startStubService(
  service: string,
  defineRoutes: (router: Router) => void,
): Promise<RunningServer> {
  const router = Router();
  defineRoutes(router);
  return startServer(
    createServiceApp({
      log: silentLogger(),
      bodyLimit: '1mb',
      authenticate: requireInternalCredential({ secret: TEST_INTERNAL_SECRET, service }),
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
