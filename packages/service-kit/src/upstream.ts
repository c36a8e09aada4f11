import type http from 'node:http';
import { problemTypes } from '@cheesecake/contracts';
import type { Downstream } from './downstream.js';
import { ProblemError } from './problem-error.js';
import { ReplicaBalancer } from './replica-balancer.js';

/**
 * The downstream could not be reached (refused, reset, a name that does not resolve), or is
 * not being called for a while (an open circuit breaker, too many calls in progress):
 * answered as 503, with `Retry-After` when it is known when to try again. Network errors
 * become one in {@link Upstream.unreachable}.
 */
export class UpstreamUnavailableError extends ProblemError {
  /** When a new call may succeed, in seconds from now, if known. */
  readonly retryAfterSeconds: number | undefined;

  constructor(service: string, reason: string, retryAfterSeconds?: number) {
    super(problemTypes.serviceUnavailable, `The ${service} service is unavailable (${reason})`, {
      service,
    });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The downstream did not answer within the timeout: answered as 504. */
export class UpstreamTimeoutError extends ProblemError {
  constructor(service: string, timeoutMs: number) {
    super(
      problemTypes.gatewayTimeout,
      `The ${service} service did not answer within ${timeoutMs} ms`,
      {
        service,
      },
    );
  }
}

/** The downstream answered a status or body its contract does not declare: answered as 502. */
export class UnexpectedResponseError extends ProblemError {
  /** The status the downstream answered. */
  readonly upstreamStatus: number;

  constructor(service: string, upstreamStatus: number, reason: string) {
    super(problemTypes.badGateway, `The ${service} service answered unexpectedly (${reason})`, {
      service,
    });
    this.upstreamStatus = upstreamStatus;
  }
}

// One per process: every caller of a host name shares its resolution and connection pools.
const sharedBalancer = new ReplicaBalancer();

/**
 * How calls reach one downstream: a keep-alive connection pool to its next replica (through a
 * {@link ReplicaBalancer}), and the one place where failing to get an answer from it becomes
 * an {@link UpstreamUnavailableError} naming it. A name that does not resolve (`ENOTFOUND`,
 * `EAI_AGAIN`: in docker compose, a container that is gone), a connection refused
 * (`ECONNREFUSED`) or reset (`ECONNRESET`, "socket hang up") all end as that 503, whether
 * they happen while looking the name up, connecting, or waiting for the answer. A
 * {@link Downstream} reaches its service through one, for typed and streamed calls alike.
 */
export class Upstream {
  /** The downstream's name, as errors name it (`order`, `payment`, …). */
  readonly service: string;
  /** The downstream's base URL, such as `http://order:3001`. */
  readonly baseUrl: URL;
  readonly #balancer: ReplicaBalancer;

  /**
   * `balancer` spreads the calls over the replicas; by default the one every caller in this
   * process shares.
   */
  constructor(service: string, baseUrl: string | URL, balancer: ReplicaBalancer = sharedBalancer) {
    this.service = service;
    this.baseUrl = new URL(baseUrl);
    this.#balancer = balancer;
  }

  /**
   * The agent for the next call, pinned to one replica. Rejects with
   * {@link UpstreamUnavailableError} when the downstream's name does not resolve.
   */
  async agent(): Promise<http.Agent> {
    try {
      return await this.#balancer.agentFor(this.baseUrl);
    } catch (error) {
      throw this.unreachable(error);
    }
  }

  /**
   * The error a call fails with when `error` kept it from an answer: a {@link ProblemError}
   * (a timeout, a body over the limit) as it is; anything else as an
   * {@link UpstreamUnavailableError} whose reason is the error's code (`ECONNREFUSED`,
   * `ENOTFOUND`, …), or its message when it has none. The name is looked up again before the
   * next call, since the replica it pointed to may be gone.
   */
  unreachable(error: unknown): ProblemError {
    if (error instanceof ProblemError) return error;
    this.#balancer.forget(this.baseUrl.hostname);
    const code = (error as { code?: unknown } | null)?.code;
    const reason =
      typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
    return new UpstreamUnavailableError(this.service, reason);
  }
}
