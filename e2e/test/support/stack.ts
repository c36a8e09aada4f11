import { type Answer, accessTokensUsed } from './client.js';
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
  /**
   * Starts one more gateway in front of the same services, with `env` added to its
   * variables, and resolves to its URL once it is ready (https when `env` gives it a
   * certificate). On processes only: the compose stack runs the gateway it builds.
   */
  startGateway(env?: Record<string, string>): Promise<string>;
  /** The replicas of a service whose logs contain any of `texts` (a request id, say). */
  replicasThatLogged(service: ServiceName, ...texts: string[]): Promise<string[]>;
  /**
   * Stops what this stack started, once it has checked that no service logged any access
   * token the tests used (failing the test file if one did).
   */
  stop(): Promise<void>;
}

/**
 * The stack the suite runs against: by default the four services as local processes
 * started here; with `E2E_STACK=compose`, the docker compose stack on http://localhost:8080
 * (see `pnpm test:compose`). `env` adds variables to the services; the gateway's rate
 * limit is raised unless `env` sets it.
 */
export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  // The suite polls every 100 ms and pays a thousand orders at once as two customers, far
  // beyond a person's 100 requests a minute or 10 at once; a test of a limit sets its own.
  const withDefaults = {
    RATE_LIMIT_PER_MINUTE: '100000',
    REQUESTS_IN_PROGRESS_PER_USER: '100000',
    ...env,
  };
  const stack =
    process.env.E2E_STACK === 'compose'
      ? await startComposeStack(withDefaults)
      : await startProcessStack(withDefaults);
  const stop = stack.stop.bind(stack);
  stack.stop = async () => {
    try {
      await expectNoAccessTokenLogged(stack);
    } finally {
      await stop();
    }
  };
  return stack;
}

/** Fails when any service's log holds the signature of an access token the tests used. */
async function expectNoAccessTokenLogged(stack: Stack): Promise<void> {
  // The signature is the secret part of a token: header and claims alone prove nothing, and
  // an unsigned one (alg: none, refused) has none to leak.
  const signatures = accessTokensUsed()
    .map((token) => token.split('.')[2] ?? token)
    .filter((signature) => signature.length > 0);
  if (signatures.length === 0) return;
  for (const service of SERVICES) {
    const leaking = await stack.replicasThatLogged(service, ...signatures);
    if (leaking.length > 0) {
      throw new Error(`${leaking.join(', ')} logged an access token the tests used`);
    }
  }
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
