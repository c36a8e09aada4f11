import { BrokenCircuitError, BulkheadRejectedError, TaskCancelledError } from 'cockatiel';
import type { Logger } from './logger.js';
import { UpstreamTimeoutError, UpstreamUnavailableError } from './upstream.js';

/** The state of a downstream's circuit breaker. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * How a call to a downstream ended: the class of its answer's status, or why there was none
 * (`unreachable`; `timeout` past the budget; `rejected` by an open circuit or a full
 * bulkhead; `cancelled` by the caller going away).
 */
export type CallOutcome =
  | '1xx'
  | '2xx'
  | '3xx'
  | '4xx'
  | '5xx'
  | 'unreachable'
  | 'timeout'
  | 'rejected'
  | 'cancelled';

/** What a downstream's policies tell as they work, such as to the metrics. */
export interface DownstreamObserver {
  /** The downstream's circuit breaker changed state. */
  breakerChanged(service: string, state: BreakerState): void;
  /** A call ended, after `seconds` in all, retries and waiting for a place included. */
  callEnded(service: string, outcome: CallOutcome, seconds: number): void;
}

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
  /** Told of every call's end and breaker state change, such as the service's metrics. */
  observer?: DownstreamObserver;
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

// Idempotent (RFC 9110, 9.2.2): the same request twice has the intended effect of once. Not
// all are safe (9.2.1): PUT and DELETE do change things, only the same way each time.
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

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

/** The settings of `options`, with the defaults where it has none. */
export function withDefaults(options: Partial<ResilienceSettings>): ResilienceSettings {
  const given = Object.entries(options).filter(([, value]) => value !== undefined);
  return { ...DEFAULT_RESILIENCE, ...Object.fromEntries(given) };
}

/** How a call that got no answer to use ended, from what the policies threw. */
export function failureOutcome(error: unknown): CallOutcome {
  if (error instanceof BrokenCircuitError || error instanceof BulkheadRejectedError)
    return 'rejected';
  if (error instanceof TaskCancelledError || error instanceof UpstreamTimeoutError)
    return 'timeout';
  if (error instanceof UpstreamUnavailableError) return 'unreachable';
  return 'cancelled';
}
