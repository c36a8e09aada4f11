import type { Answer } from './client.js';
import { startComposeStack } from './compose-stack.js';
import { startProcessStack } from './process-stack.js';

/** The four services; the gateway starts last, once the three behind it are ready. */
export const SERVICES = ['payment', 'kitchen', 'order', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The running system under test, and the levers the tests pull on it. */
export interface Stack {
  gatewayUrl: string;
  /**
   * Calls a service directly, bypassing the gateway, as something inside the network could:
   * a GET unless `request` says otherwise (a body is sent as JSON).
   */
  callService(
    service: ServiceName,
    path: string,
    headers?: Record<string, string>,
    request?: { method: string; body?: unknown },
  ): Promise<Answer>;
  /**
   * GETs many paths of a service directly, as {@link callService} does, in one go: with
   * compose, one command inside the network rather than one per path. Each read has its own
   * headers, since an internal credential is good for one path only.
   */
  readService(
    service: ServiceName,
    reads: ReadonlyArray<{ path: string; headers?: Record<string, string> }>,
  ): Promise<Answer[]>;
  /** Kills a service with SIGKILL: no graceful shutdown, mid-flow. */
  kill(service: ServiceName): Promise<void>;
  /** Stops a service with SIGTERM and resolves to its exit code. */
  terminate(service: ServiceName): Promise<number | null>;
  /** Starts a stopped service again with its data, and waits until it is ready. */
  start(service: ServiceName): Promise<void>;
  /** The replicas of a service whose logs contain `text` (a request id, say). */
  replicasThatLogged(service: ServiceName, text: string): Promise<string[]>;
  /** Stops what this stack started. */
  stop(): Promise<void>;
}

/**
 * The stack the suite runs against: by default the four services as local processes
 * started here; with `E2E_STACK=compose`, the docker compose stack on http://localhost:8080
 * (see `pnpm test:compose`). `env` adds variables to the services; the gateway's rate
 * limit is raised unless `env` sets it.
 */
export function startStack(env: Record<string, string> = {}): Promise<Stack> {
  // The suite polls every 100 ms and pays twenty orders at once, far beyond a person's 100
  // requests a minute; a test of the limit itself sets its own.
  const withDefaults = { RATE_LIMIT_PER_MINUTE: '100000', ...env };
  return process.env.E2E_STACK === 'compose'
    ? startComposeStack(withDefaults)
    : startProcessStack(withDefaults);
}

/** The fetch options of a {@link Stack.callService} call. */
export function fetchInit(
  headers: Record<string, string>,
  request: { method: string; body?: unknown },
): { method: string; headers: Record<string, string>; body?: string } {
  return request.body === undefined
    ? { method: request.method, headers }
    : {
        method: request.method,
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(request.body),
      };
}

/** An answer's body: parsed when it is JSON, as text otherwise (such as `/metrics`). */
export function bodyOf(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
