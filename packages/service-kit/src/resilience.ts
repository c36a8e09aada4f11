import type http from 'node:http';
import { FAILED_SERVICE_HEADER } from '@cheesecake/contracts';
import {
  BrokenCircuitError,
  type BulkheadPolicy,
  BulkheadRejectedError,
  bulkhead,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  DelegateBackoff,
  ExponentialBackoff,
  fullJitterGenerator,
  handleType,
  type IBackoff,
  type IPolicy,
  type IRetryBackoffContext,
  retry,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import type { Logger } from './logger.js';
import { type CallPolicy, UpstreamTimeoutError, UpstreamUnavailableError } from './typed-client.js';

/** The state of a downstream's circuit breaker. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** The settings of a {@link DownstreamPolicy} that have defaults. */
export interface ResilienceSettings {
  /** Attempts after the first, for a call that may be repeated; default 2. */
  retries: number;
  /** The first backoff's ceiling; each further one doubles it, with full jitter. Default 100 ms. */
  retryDelayMs: number;
  /** The longest `Retry-After` waited for; an answer asking for longer is not retried. Default 2 s. */
  maxRetryAfterMs: number;
  /** Failures in a row (unreachable, timed out, 5xx) that open the circuit; default 5. */
  breakerThreshold: number;
  /** How long an open circuit fails calls at once before letting one trial call through; default 5 s. */
  halfOpenAfterMs: number;
  /** Calls in progress at once; default 100. */
  maxConcurrent: number;
  /** Calls waiting for one of those places; further calls fail at once. Default 100. */
  maxQueued: number;
}

/** What the calls to one downstream are protected by. */
export interface ResilienceOptions extends Partial<ResilienceSettings> {
  /** The downstream's name, in errors, logs and state changes. */
  service: string;
  /** The whole budget of a call, waiting for a place and retries included: past it, 504. */
  timeoutMs: number;
  /** Where breaker state changes are logged: warn when it opens, info when it closes. */
  log?: Logger;
  /** Told of every breaker state change, such as for metrics. */
  onStateChange?: (service: string, state: BreakerState) => void;
}

/** The defaults of {@link ResilienceSettings}. */
export const DEFAULT_RESILIENCE: Readonly<ResilienceSettings> = {
  retries: 2,
  retryDelayMs: 100,
  maxRetryAfterMs: 2_000,
  breakerThreshold: 5,
  halfOpenAfterMs: 5_000,
  // Wide enough for a busy shop (the 50-client checkout of `pnpm bench` never fills it),
  // narrow enough that a downstream that stops answering holds only so many calls.
  maxConcurrent: 100,
  maxQueued: 100,
};

/** What the policies need to know about one call. */
export interface CallTraits<T> {
  /** Whether the call may be sent again: idempotent or keyed, and with a body that can be resent. */
  retriable: boolean;
  /**
   * The status of an answer, its `Retry-After` header, and the service its
   * `X-Failed-Service` header blames for a 5xx, if any.
   */
  read(answer: T): { status: number; retryAfter?: string; failedService?: string };
  /** Releases an answer that is dropped for a retry, such as an unread stream. */
  discard?(answer: T): void;
  /** Ends the call when whoever waits for it gives up, such as a client going away. */
  signal?: AbortSignal;
}

/** An attempt's answer as the policies judge it. */
interface Outcome<T> {
  answer: T;
  status: number;
  retryAfterMs: number | undefined;
  /** The service a 5xx answer blames, when it passes on a failure of its own downstream. */
  failedService: string | undefined;
  discard(): void;
}

const RETRIED_STATUSES = new Set([502, 503, 504]);
// Idempotent (RFC 9110, 9.2.2): the same request twice has the intended effect of once. Not
// all are safe (9.2.1): PUT and DELETE do change things, only the same way each time.
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
// A full bulkhead frees up as calls finish, within about a second on a healthy downstream.
const BULKHEAD_RETRY_AFTER_SECONDS = 1;

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/** Whether a call may be sent twice without harm: an idempotent method, or an `Idempotency-Key`. */
export function isRetriable(method: string, headers: Readonly<Record<string, unknown>>): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase()) || headers['idempotency-key'] !== undefined;
}

/**
 * The milliseconds a `Retry-After` value (seconds, or an HTTP date) asks to wait, or
 * undefined when there is none or it cannot be read.
 */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The policies every call to one downstream goes through, built with cockatiel. Outermost
 * first: a timeout over the whole call (`timeoutMs`: 504); a bulkhead, so a slow downstream
 * holds at most `maxConcurrent` calls and `maxQueued` waiting ones (beyond: 503 at once); for
 * retriable calls only, retries with exponential backoff and full jitter on an unreachable
 * downstream or a 502/503/504, waiting `Retry-After` instead when the answer has one; and a
 * circuit breaker that opens after `breakerThreshold` failures in a row (unreachable, timed
 * out, any 5xx; never a 4xx), fails calls at once with a 503 and `Retry-After` while open,
 * and closes again once a trial call after `halfOpenAfterMs` succeeds.
 *
 * Make one per downstream and share it between everything that calls that downstream.
 */
export class DownstreamPolicy {
  readonly #service: string;
  readonly #timeoutMs: number;
  readonly #settings: ResilienceSettings;
  readonly #withRetries: IPolicy;
  readonly #once: IPolicy;
  readonly #places: BulkheadPolicy;
  #state: BreakerState = 'closed';
  #trialAt = 0;

  constructor(options: ResilienceOptions) {
    const { service, timeoutMs, log, onStateChange, ...settings } = options;
    this.#service = service;
    this.#timeoutMs = timeoutMs;
    this.#settings = { ...DEFAULT_RESILIENCE, ...withoutUndefined(settings) };
    const { breakerThreshold, halfOpenAfterMs, maxConcurrent, maxQueued } = this.#settings;

    const breaker = circuitBreaker(
      handleType(UpstreamUnavailableError)
        .orType(UpstreamTimeoutError)
        // A 5xx that blames another service (this one's own downstream) says this one is up.
        .orWhenResult((result) => {
          const outcome = result as Outcome<unknown>;
          return (
            outcome.status >= 500 &&
            (outcome.failedService === undefined || outcome.failedService === service)
          );
        }),
      { halfOpenAfter: halfOpenAfterMs, breaker: new ConsecutiveBreaker(breakerThreshold) },
    );
    breaker.onBreak(() => {
      this.#trialAt = Date.now() + halfOpenAfterMs;
    });
    breaker.onStateChange((circuitState) => {
      const state = STATE_NAMES[circuitState];
      this.#state = state;
      if (state === 'open') {
        log?.warn(
          { downstream: service, retryInMs: halfOpenAfterMs },
          `circuit to ${service} opened: calls fail at once`,
        );
      } else if (state === 'closed') {
        log?.info({ downstream: service }, `circuit to ${service} closed: calls go through again`);
      }
      onStateChange?.(service, state);
    });

    const retries = retry(
      handleType(UpstreamUnavailableError).orWhenResult((result) => {
        const outcome = result as Outcome<unknown>;
        return (
          RETRIED_STATUSES.has(outcome.status) &&
          (outcome.retryAfterMs ?? 0) <= this.#settings.maxRetryAfterMs
        );
      }),
      { maxAttempts: this.#settings.retries, backoff: this.#backoff() },
    );
    // The retried answer is never read: free its connection.
    retries.onRetry((failure) => {
      if ('value' in failure) (failure.value as Outcome<unknown>).discard();
    });

    // Over the whole call, so a caller's budget holds however long it queues or retries. The
    // signal stays open once an answer is returned, as a streamed answer is still being read.
    const budget = timeout(timeoutMs, {
      strategy: TimeoutStrategy.Aggressive,
      abortOnReturn: false,
    });
    const places = bulkhead(maxConcurrent, maxQueued);
    this.#places = places;
    this.#withRetries = wrap(budget, places, retries, breaker);
    this.#once = wrap(budget, places, breaker);
  }

  /** The downstream this policy protects. */
  get service(): string {
    return this.#service;
  }

  /** How many calls hold a place in the bulkhead, and how many wait for one. */
  get load(): { inProgress: number; waiting: number } {
    const { maxConcurrent, maxQueued } = this.#settings;
    return {
      inProgress: maxConcurrent - this.#places.executionSlots,
      waiting: maxQueued - this.#places.queueSlots,
    };
  }

  /** The circuit breaker's state. */
  get state(): BreakerState {
    return this.#state;
  }

  /**
   * Runs a call through the policies: `attempt` sends it once and must give up when its
   * signal aborts. Resolves to the answer to use (possibly a 5xx the retries gave up on);
   * rejects with {@link UpstreamUnavailableError} (open circuit, full bulkhead, unreachable)
   * or {@link UpstreamTimeoutError} (over the budget), or the caller's own abort reason.
   */
  async execute<T>(
    attempt: (signal: AbortSignal) => Promise<T>,
    traits: CallTraits<T>,
  ): Promise<T> {
    const policy = traits.retriable ? this.#withRetries : this.#once;
    try {
      const outcome = await policy.execute(
        ({ signal }) => this.#attempt(attempt, traits, signal),
        traits.signal,
      );
      return outcome.answer;
    } catch (error) {
      throw this.#asProblem(error);
    }
  }

  /** The policies as the hook of a typed client (`createClient`'s `policy` option). */
  readonly forClient: CallPolicy = (call, send) =>
    this.execute(send, {
      retriable: isRetriable(call.method, call.headers),
      read: (answer) => ({
        status: answer.status,
        retryAfter: answer.headers['retry-after'],
        failedService: answer.headers[FAILED_SERVICE_HEADER],
      }),
    });

  async #attempt<T>(
    attempt: (signal: AbortSignal) => Promise<T>,
    traits: CallTraits<T>,
    signal: AbortSignal,
  ): Promise<Outcome<T>> {
    const timedOut = () => signal.aborted && !traits.signal?.aborted;
    let answer: T;
    try {
      answer = await attempt(signal);
    } catch (error) {
      // Counted by the breaker as the downstream's failure, unlike the caller giving up.
      if (timedOut()) throw new UpstreamTimeoutError(this.#service, this.#timeoutMs);
      throw error;
    }
    const { status, retryAfter, failedService } = traits.read(answer);
    const outcome = {
      answer,
      status,
      retryAfterMs: retryAfterMs(retryAfter),
      failedService,
      discard: () => traits.discard?.(answer),
    };
    if (signal.aborted) {
      // Answered after the budget ran out: nobody will read it.
      outcome.discard();
      throw timedOut() ? new UpstreamTimeoutError(this.#service, this.#timeoutMs) : signal.reason;
    }
    return outcome;
  }

  #asProblem(error: unknown): unknown {
    if (error instanceof BrokenCircuitError) {
      const seconds = Math.max(1, Math.ceil((this.#trialAt - Date.now()) / 1_000));
      return new UpstreamUnavailableError(this.#service, 'its circuit is open', seconds);
    }
    if (error instanceof BulkheadRejectedError) {
      return new UpstreamUnavailableError(
        this.#service,
        'too many calls in progress',
        BULKHEAD_RETRY_AFTER_SECONDS,
      );
    }
    // Not cockatiel's isTaskCancelledError, which (in 3.2.1) tests for a bulkhead rejection.
    if (error instanceof TaskCancelledError) {
      return new UpstreamTimeoutError(this.#service, this.#timeoutMs);
    }
    return error;
  }

  /** Exponential backoff with full jitter, or the answer's `Retry-After` when it has one. */
  #backoff(): DelegateBackoff<IRetryBackoffContext<unknown>, IBackoff<unknown>> {
    const exponential = new ExponentialBackoff({
      generator: fullJitterGenerator,
      initialDelay: this.#settings.retryDelayMs,
    });
    return new DelegateBackoff((context, previous?: IBackoff<unknown>) => {
      const jitter = previous ? previous.next(context) : exponential.next();
      const asked =
        'value' in context.result ? (context.result.value as Outcome<unknown>) : undefined;
      return { delay: asked?.retryAfterMs ?? jitter.duration, state: jitter };
    });
  }
}

/**
 * How the policies judge a `node:http` answer (status, `Retry-After`, `X-Failed-Service`),
 * and free one dropped for a retry: the {@link CallTraits} of calls made with
 * {@link responseOf}.
 */
export const incomingMessageTraits: Pick<CallTraits<http.IncomingMessage>, 'read' | 'discard'> = {
  read: (answer) => ({
    status: answer.statusCode ?? 502,
    retryAfter: firstHeader(answer.headers['retry-after']),
    failedService: firstHeader(answer.headers[FAILED_SERVICE_HEADER]),
  }),
  discard: (answer) => answer.resume(),
};

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The answer to a `node:http` request, as one attempt of a {@link DownstreamPolicy}: resolves
 * with its response, rejects with `failure(error)` when it fails before one, and destroys it
 * and rejects with the signal's reason once `signal` aborts. It settles in every case, which
 * the policies wait for to give the call's place to another.
 */
export function responseOf(
  request: http.ClientRequest,
  signal: AbortSignal,
  failure: (error: Error) => unknown,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const giveUp = () => {
      request.destroy();
      reject(signal.reason);
    };
    signal.addEventListener('abort', giveUp, { once: true });
    request.once('response', (response) => {
      signal.removeEventListener('abort', giveUp);
      resolve(response);
    });
    // Stays attached once answered: a later error belongs to the response, and must not crash.
    request.on('error', (error) => {
      signal.removeEventListener('abort', giveUp);
      reject(failure(error));
    });
  });
}

function withoutUndefined<T extends object>(settings: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(settings).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
