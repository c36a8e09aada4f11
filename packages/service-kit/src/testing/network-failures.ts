import { connect } from 'node:net';
import express from 'express';
import { startServer } from './servers.js';

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
const SHORT_TIMEOUT_MS = 500;

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
