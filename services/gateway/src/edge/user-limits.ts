import { type EndUser, problemTypes } from '@cheesecake/contracts';
import { ProblemError } from '@cheesecake/service-kit';
import { ipKeyGenerator, type Options, type Store } from 'express-rate-limit';
import type { RateLimitCounts } from './rate-limit-counts.js';

const ONE_MINUTE_MS = 60_000;

/** A 429 problem that says when to try again, as `Retry-After`. */
export class TooManyError extends ProblemError {
  constructor(
    detail: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(problemTypes.rateLimited, detail);
  }
}

/**
 * Each user's request budget for the minute, or each address's without a valid token:
 * the one count behind HTTP requests, WebSocket handshakes and WebSocket subscriptions, so
 * that no way of calling the gateway is free.
 */
export class RequestBudgets {
  /** The store the HTTP rate limiter counts in; {@link spend} counts in it too. */
  readonly store: Store;
  readonly perMinute: number;

  constructor(perMinute: number, store: Store) {
    this.perMinute = perMinute;
    this.store = store;
    this.store.init?.({ windowMs: ONE_MINUTE_MS } as Options);
  }

  /** The budget a request spends from: its user's, or its address's without one. */
  static keyOf(user: EndUser | undefined, address: string | undefined): string {
    return user ? `user:${user.id}` : `address:${ipKeyGenerator(address ?? '')}`;
  }

  /** Spends one request from `key`'s budget; throws a {@link TooManyError} once it is spent. */
  async spend(key: string): Promise<void> {
    const { totalHits, resetTime } = await this.store.increment(key);
    if (totalHits <= this.perMinute) return;
    const retryAfterSeconds = Math.max(
      1,
      Math.ceil(((resetTime?.getTime() ?? 0) - Date.now()) / 1_000),
    );
    throw new TooManyError(
      `Too many requests this minute; try again in ${retryAfterSeconds} seconds`,
      retryAfterSeconds,
    );
  }
}

/**
 * How many of something each user holds at once, however many connections they are spread
 * over: past `perUser`, a 429 problem saying `refusal`.
 */
export class UserQuota {
  readonly perUser: number;
  readonly #refusal: string;
  readonly #held = new Map<string, number>();

  constructor(perUser: number, refusal: string) {
    this.perUser = perUser;
    this.#refusal = refusal;
  }

  /** Takes one of the user's places and returns its release; throws a 429 problem when all are held. */
  take(user: EndUser): () => void {
    const held = this.#held.get(user.id) ?? 0;
    if (held >= this.perUser) throw new TooManyError(this.#refusal);
    this.#held.set(user.id, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#held.get(user.id) ?? 1) - 1;
      if (left > 0) this.#held.set(user.id, left);
      else this.#held.delete(user.id);
    };
  }
}

/** The limits per user that the HTTP routes and the WebSocket endpoint share. */
export interface UserLimits {
  budgets: RequestBudgets;
  /** The token requests of each username from each address (`limitLogins`). */
  logins: Store;
  /**
   * The event streams each user follows: SSE streams and WebSocket subscriptions together.
   * Each holds a connection to the order service, so one user holding thousands would hold
   * them for everyone.
   */
  streams: UserQuota;
  /**
   * The requests each user has waiting on a service at once (event streams aside, which
   * `streams` counts). With `streams`, it keeps one user to a share of each downstream's
   * bulkhead, so a flood of slow requests from one fills no place others need.
   */
  requestsInProgress: UserQuota;
}

/**
 * The limits of a gateway: one instance, given to both `createApp` and `createLiveUpdates`.
 * The budgets count in `counts`; the quotas, which hold places for open connections, in
 * this process, where the connections are.
 */
export function createUserLimits(
  config: {
    RATE_LIMIT_PER_MINUTE: number;
    STREAMS_PER_USER: number;
    REQUESTS_IN_PROGRESS_PER_USER: number;
  },
  counts: RateLimitCounts,
): UserLimits {
  const { STREAMS_PER_USER: streams, REQUESTS_IN_PROGRESS_PER_USER: requests } = config;
  return {
    budgets: new RequestBudgets(config.RATE_LIMIT_PER_MINUTE, counts.store('requests')),
    logins: counts.store('logins'),
    streams: new UserQuota(
      streams,
      `A user may follow at most ${streams} event streams at once; close one first`,
    ),
    requestsInProgress: new UserQuota(
      requests,
      `A user may have at most ${requests} requests in progress at once; wait for an answer first`,
    ),
  };
}
