import { randomUUID } from 'node:crypto';
import { PROBLEM_CONTENT_TYPE, problemTypes } from '@cheesecake/contracts';
import {
  type Database,
  fingerprintOf,
  type HandlerContext,
  IdempotencyKeyReusedError,
  type Logger,
  ProblemError,
} from '@cheesecake/service-kit';
import type { Request } from 'express';

/** The first request under the key has not answered yet: 409, and the client retries later. */
class IdempotencyRequestInFlightError extends ProblemError {
  constructor() {
    super(
      problemTypes.idempotencyRequestInFlight,
      'The first request with this Idempotency-Key is still running; retry once it has answered',
    );
  }
}

/** What a handler answers, as far as storing and replaying it goes. */
export interface IdempotentAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What the work under a key is told about the key. */
export interface IdempotentAttempt {
  /**
   * True when an earlier request with the same key and the same request stopped (its process
   * died, or keeping its answer failed) and this one took the key over after its lease: that
   * request may have done the work already, and its answer was never kept. A handler whose
   * work cannot simply run twice answers as that request would have. False for a key's first
   * request, and for a key used again after it expired.
   */
  resumed: boolean;
}

/** Whose key it is, and the key. */
export interface IdempotentRequest {
  /**
   * Whose keys these are, such as the user's id: the same key from two users names two
   * requests. The route is added to it, so each route has its own keys.
   */
  scope: string;
  /** The request's `Idempotency-Key`; without one the work simply runs. */
  key: string | undefined;
}

/** Where keys are kept, and for how long. */
export interface IdempotencyKeysOptions {
  db: Database;
  /**
   * How long a request holds its key; should it crash, another request with the key may take
   * it over after this. Longer than any request takes; default 1 minute.
   */
  leaseMs?: number;
  /** How long a key and its answer are kept; default 24 hours. */
  retentionMs?: number;
  /** How many expired keys each new key removes; default 10. */
  purgeBatchSize?: number;
}

/** One request's hold on a key. */
interface Claim {
  scope: string;
  key: string;
  fingerprint: string;
  holder: string;
}

interface KeyRow {
  claimed: boolean;
  fingerprint: string;
  state: 'in_flight' | 'completed';
  response_status: number | null;
  response_headers: Record<string, string> | null;
  response_body: unknown;
  lease_over: boolean;
  expired: boolean;
}

// One statement inserts the key or, when it exists, reads it. Its read sees the table as the
// statement began, so a key committed by a concurrent request meanwhile reads as no row.
const INSERT_OR_FIND = `
  with inserted as (
    insert into idempotency_keys (scope, key, fingerprint, state, holder, locked_until, expires_at)
    values ($1, $2, $3, 'in_flight', $4, now() + $5 * interval '1 millisecond',
      now() + $6 * interval '1 millisecond')
    on conflict (scope, key) do nothing
    returning fingerprint, state, response_status, response_headers, response_body
  )
  select true as claimed, *, false as lease_over, false as expired from inserted
  union all
  select false, fingerprint, state, response_status, response_headers, response_body,
    locked_until <= now(), expires_at <= now()
  from idempotency_keys
  where scope = $1 and key = $2 and not exists (select from inserted)`;

/**
 * Makes handlers safe to retry with an `Idempotency-Key`. The first request with a key runs
 * and its answer is kept (2xx and 4xx, a declined payment included); the same key with the
 * same request gets that answer again with `Idempotent-Replayed: true`, with another request
 * 422, and while the first is still running 409. A 5xx, an unexpected error or a crash keeps
 * nothing, so a retry runs again. Requests without a key are not affected.
 *
 * Expired keys are removed a few at a time as new keys come, rather than by a worker: the
 * table only grows with keyed requests, each new key removes more than it adds, and an
 * expired key is treated as absent whether or not it has been removed yet.
 */
export class IdempotencyKeys {
  readonly #options: Required<IdempotencyKeysOptions>;

  constructor(options: IdempotencyKeysOptions) {
    this.#options = {
      leaseMs: 60_000,
      retentionMs: 24 * 60 * 60 * 1000,
      purgeBatchSize: 10,
      ...options,
    };
  }

  /**
   * Runs `work`, the body of a `handle()` handler, once per key: the request's answer, or
   * the one given under its key before. Call it once the caller is known, with the caller's
   * id as the scope. `work` is told whether it resumes a request that stopped under the key.
   */
  async run<A extends IdempotentAnswer>(
    context: HandlerContext,
    request: IdempotentRequest,
    work: (attempt: IdempotentAttempt) => Promise<A>,
  ): Promise<A> {
    if (request.key === undefined) return work({ resumed: false });
    const claim: Claim = {
      scope: `${request.scope} ${context.req.method} ${routeOf(context.req)}`,
      key: request.key,
      fingerprint: requestFingerprint(context.req),
      holder: randomUUID(),
    };

    const begun = await this.#begin(claim);
    // The answer this route gave this very request before: one of the route's declared
    // responses, though not necessarily of `work`'s type (a 4xx problem that work threw).
    if ('earlier' in begun) return replay(begun.earlier) as A;

    let answer: A;
    try {
      answer = await work(begun);
    } catch (error) {
      if (error instanceof ProblemError && error.status < 500) {
        await this.#complete(claim, problemAnswer(error, context.requestId), context.log);
      } else {
        await this.#release(claim, context.log);
      }
      throw error;
    }
    if (answer.status < 500) {
      await this.#complete(claim, answer, context.log);
    } else {
      await this.#release(claim, context.log);
    }
    return answer;
  }

  /** Claims the key for this request, or finds the answer given under it; 422 and 409 throw. */
  async #begin(claim: Claim): Promise<IdempotentAttempt | { earlier: IdempotentAnswer }> {
    await this.#purgeExpired();
    const { db, leaseMs, retentionMs } = this.#options;
    // A key can change hands between two statements: a failed first request released it, or
    // a concurrent one has just claimed it. Looking again settles it.
    for (let look = 0; look < 3; look += 1) {
      const [row] = await db.query<KeyRow>(INSERT_OR_FIND, [
        claim.scope,
        claim.key,
        claim.fingerprint,
        claim.holder,
        leaseMs,
        retentionMs,
      ]);
      if (!row) continue;
      if (row.claimed) return { resumed: false };

      const abandoned =
        row.state === 'in_flight' && row.lease_over && row.fingerprint === claim.fingerprint;
      if (row.expired || abandoned) {
        // An expired key starts afresh; an abandoned one continues its first request.
        if (await this.#takeOver(claim)) return { resumed: !row.expired };
        continue;
      }
      if (row.fingerprint !== claim.fingerprint) throw new IdempotencyKeyReusedError();
      if (row.state === 'in_flight') throw new IdempotencyRequestInFlightError();
      return {
        earlier: {
          status: row.response_status ?? 500,
          body: row.response_body,
          headers: row.response_headers ?? {},
        },
      };
    }
    throw new IdempotencyRequestInFlightError();
  }

  /**
   * Takes over an expired key (as a new one) or one whose holder's lease has run out (for the
   * same request); false when another request got there first.
   */
  async #takeOver(claim: Claim): Promise<boolean> {
    const { db, leaseMs, retentionMs } = this.#options;
    const taken = await db.query(
      `update idempotency_keys set
         fingerprint = $3, state = 'in_flight', holder = $4,
         locked_until = now() + $5 * interval '1 millisecond',
         response_status = null, response_headers = null, response_body = null,
         created_at = case when expires_at <= now() then now() else created_at end,
         expires_at = case when expires_at <= now()
           then now() + $6 * interval '1 millisecond' else expires_at end
       where scope = $1 and key = $2
         and (expires_at <= now()
           or (state = 'in_flight' and locked_until <= now() and fingerprint = $3))
       returning key`,
      [claim.scope, claim.key, claim.fingerprint, claim.holder, leaseMs, retentionMs],
    );
    return taken.length > 0;
  }

  /**
   * Keeps the answer under the key. Should that fail, the client still gets the answer, which
   * is better than a 500 for work that was done; the key is then taken over after its lease.
   */
  async #complete(claim: Claim, answer: IdempotentAnswer, log: Logger): Promise<void> {
    try {
      await this.#options.db.query(
        `update idempotency_keys set
           state = 'completed', holder = null, locked_until = null,
           response_status = $4, response_headers = $5::jsonb, response_body = $6::json
         where scope = $1 and key = $2 and holder = $3`,
        [
          claim.scope,
          claim.key,
          claim.holder,
          answer.status,
          JSON.stringify(answer.headers ?? {}),
          JSON.stringify(answer.body) ?? null,
        ],
      );
    } catch (error) {
      log.error({ err: error }, 'could not keep the answer under its idempotency key');
    }
  }

  /** Gives the key up, so that a retry runs again; a crash leaves it to the lease instead. */
  async #release(claim: Claim, log: Logger): Promise<void> {
    try {
      await this.#options.db.query(
        'delete from idempotency_keys where scope = $1 and key = $2 and holder = $3',
        [claim.scope, claim.key, claim.holder],
      );
    } catch (error) {
      log.error({ err: error }, 'could not release an idempotency key');
    }
  }

  async #purgeExpired(): Promise<void> {
    await this.#options.db.query(
      `delete from idempotency_keys where (scope, key) in (
         select scope, key from idempotency_keys where expires_at <= now()
         order by expires_at limit $1 for update skip locked)`,
      [this.#options.purgeBatchSize],
    );
  }
}

/** A route's path as declared, such as `/orders/:orderId/payment`. */
function routeOf(req: Request): string {
  return `${req.baseUrl}${(req.route as { path?: string } | undefined)?.path ?? req.path}`;
}

/** What identifies a request under its key: the method, the route with its parameters, the body. */
function requestFingerprint(req: Request): string {
  return fingerprintOf([req.method, routeOf(req), req.params, req.body ?? null]);
}

/** A 4xx problem as the error middleware sends it, to keep and replay. */
function problemAnswer(error: ProblemError, requestId: string): IdempotentAnswer {
  return {
    status: error.status,
    body: error.toProblem(requestId),
    headers: { 'content-type': PROBLEM_CONTENT_TYPE },
  };
}

function replay(answer: IdempotentAnswer): IdempotentAnswer {
  return { ...answer, headers: { ...answer.headers, 'idempotent-replayed': 'true' } };
}
