import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Express, Router } from 'express';
import { createServiceApp } from '../app.js';
import { requireInternalCredential } from '../internal-auth.js';
import { TEST_INTERNAL_SECRET } from './credentials.js';
import { silentLogger } from './silent-logger.js';

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
