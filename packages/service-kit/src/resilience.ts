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
import {
  type BreakerState,
  type CallOutcome,
  type DownstreamObserver,
  failureOutcome,
  isRetriable,
  type ResilienceOptions,
  type ResilienceSettings,
  retryAfterMs,
  withDefaults,
} from './resilience-settings.js';
import type { CallPolicy } from './typed-client.js';
import { UpstreamTimeoutError, UpstreamUnavailableError } from './upstream.js';

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
// A full bulkhead frees up as calls finish, within about a second on a healthy downstream.
const BULKHEAD_RETRY_AFTER_SECONDS = 1;

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

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
  readonly #observer: DownstreamObserver | undefined;
  #state: BreakerState = 'closed';
  #trialAt = 0;

  constructor(options: ResilienceOptions) {
    const { service, timeoutMs, log, observer, ...settings } = options;
    this.#service = service;
    this.#observer = observer;
    this.#timeoutMs = timeoutMs;
    this.#settings = withDefaults(settings);
    const { maxConcurrent, maxQueued } = this.#settings;

    const breaker = this.#breaker(log);
    const retries = this.#retries();
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
    // Told from the start, so a dashboard shows every breaker before one first opens.
    observer?.breakerChanged(service, 'closed');
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
    const startedAt = performance.now();
    const ended = (outcome: CallOutcome) =>
      this.#observer?.callEnded(this.#service, outcome, (performance.now() - startedAt) / 1_000);
    try {
      const outcome = await policy.execute(
        ({ signal }) => this.#attempt(attempt, traits, signal),
        traits.signal,
      );
      ended(`${Math.floor(outcome.status / 100)}xx` as CallOutcome);
      return outcome.answer;
    } catch (error) {
      ended(failureOutcome(error));
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

  /**
   * Opens after `breakerThreshold` failures in a row: unreachable, timed out, or a 5xx that
   * blames no other service (one blaming this one's own downstream says this one is up).
   */
  #breaker(log: Logger | undefined) {
    const service = this.#service;
    const { breakerThreshold, halfOpenAfterMs } = this.#settings;
    const breaker = circuitBreaker(
      handleType(UpstreamUnavailableError)
        .orType(UpstreamTimeoutError)
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
      this.#observer?.breakerChanged(service, state);
    });
    return breaker;
  }

  /** Retries on an unreachable downstream or a 502/503/504 that asks for no long wait. */
  #retries() {
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
    return retries;
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
