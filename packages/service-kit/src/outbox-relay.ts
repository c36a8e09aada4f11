import { SpanKind } from '@opentelemetry/api';
import {
  type Correlation,
  correlationLogFields,
  newRequestId,
  runWithCorrelation,
} from './correlation.js';
import type { Database } from './database.js';
import type { Logger } from './logger.js';
import { type OutboxMessage, runDelivery } from './outbox.js';
import { type Deliverer, PermanentDeliveryError } from './outbox-deliverers.js';
import { contextFrom, inSpan } from './tracing.js';

/** How the relay delivers and how it retries. */
export interface OutboxRelayOptions {
  db: Database;
  log: Logger;
  /** One deliverer per destination. */
  deliverers: Record<string, Deliverer>;
  /** How often to look for due messages when idle; default 250 ms. */
  pollIntervalMs?: number;
  /** How many messages one pass claims; default 10. */
  batchSize?: number;
  /** Attempts before a message is set aside as dead; default 100 (about six hours). */
  maxAttempts?: number;
  /** How long a claim holds a message before another relay may take it over; default 30 s. */
  leaseMs?: number;
  /** The first retry delay, doubled on each attempt up to `maxDelayMs`; default 500 ms. */
  baseDelayMs?: number;
  /** The longest retry delay; default 5 minutes. */
  maxDelayMs?: number;
}

interface OutboxRow {
  id: string;
  destination: string;
  payload: unknown;
  request_id: string | null;
  traceparent: string | null;
  tracestate: string | null;
  attempts: number;
}

/**
 * Delivers outbox messages until each is accepted: at least once, retrying failures
 * with exponential backoff and jitter, and setting a message aside as `dead` once
 * it has used up its attempts or was rejected for good. Relays in several replicas
 * share the work: each pass claims due rows with `FOR UPDATE SKIP LOCKED` and leases
 * them, so a relay that dies mid-delivery leaves them to be retried by another.
 */
export class OutboxRelay {
  readonly #options: Required<OutboxRelayOptions>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = true;

  constructor(options: OutboxRelayOptions) {
    this.#options = {
      pollIntervalMs: 250,
      batchSize: 10,
      maxAttempts: 100,
      leaseMs: 30_000,
      baseDelayMs: 500,
      maxDelayMs: 300_000,
      ...options,
    };
  }

  /** Starts polling. */
  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Looks for due messages now, instead of at the next poll (call after a commit that enqueued). */
  wake(): void {
    if (!this.#stopped && !this.#running) this.#schedule(0);
  }

  /** Stops polling and waits for the pass in progress to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Claims and delivers one batch of due messages; resolves to how many it claimed. */
  async deliverDueMessages(): Promise<number> {
    const { db, batchSize, leaseMs } = this.#options;
    const claimed = await db.query<OutboxRow>(
      `update outbox set attempts = attempts + 1, next_attempt_at = now() + $2 * interval '1 millisecond'
       where id in (
         select id from outbox where status = 'pending' and next_attempt_at <= now()
         order by created_at, id limit $1 for update skip locked)
       returning id, destination, payload, request_id, traceparent, tracestate, attempts`,
      [batchSize, leaseMs],
    );
    await Promise.all(claimed.map((row) => this.#deliver(row)));
    return claimed.length;
  }

  #schedule(delayMs: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#running = this.deliverDueMessages()
        .catch((error: unknown) => {
          this.#options.log.error({ err: error }, 'outbox pass failed');
          return 0;
        })
        .then((claimed) => {
          this.#running = undefined;
          if (!this.#stopped)
            this.#schedule(claimed === this.#options.batchSize ? 0 : this.#options.pollIntervalMs);
        });
    }, delayMs);
  }

  async #deliver(row: OutboxRow): Promise<void> {
    const { db, log, deliverers, maxAttempts } = this.#options;
    const message: OutboxMessage = {
      id: row.id,
      destination: row.destination,
      payload: row.payload,
      requestId: row.request_id,
      attempts: row.attempts,
    };
    // Each attempt continues the trace that enqueued the message, read from the row, so a
    // relay that restarted in between continues it too; and keeps its request id.
    const correlation: Correlation = { requestId: row.request_id ?? newRequestId() };
    const enqueuedIn = contextFrom({
      ...(row.traceparent && { traceparent: row.traceparent }),
      ...(row.tracestate && { tracestate: row.tracestate }),
    });
    const messageLog = log.child({
      messageId: row.id,
      destination: row.destination,
      ...correlationLogFields(correlation),
    });
    // A delivery marks the message delivered whatever else happened meanwhile. A failure
    // changes it only while this attempt is still its latest claim: if the lease ran out and
    // another relay took the message over, that relay's outcome counts.
    try {
      const deliverer = deliverers[row.destination];
      if (!deliverer)
        throw new PermanentDeliveryError(`no deliverer for destination "${row.destination}"`);
      await inSpan(
        `outbox deliver ${row.destination}`,
        {
          kind: SpanKind.PRODUCER,
          parent: enqueuedIn,
          attributes: {
            'messaging.system': 'cheesecake-outbox',
            'messaging.destination.name': row.destination,
            'messaging.message.id': row.id,
            'cheesecake.outbox.attempt': row.attempts,
          },
        },
        () => runWithCorrelation(correlation, () => runDelivery(message, () => deliverer(message))),
      );
      await db.query(
        `update outbox set status = 'delivered', delivered_at = now(), last_error = null where id = $1`,
        [row.id],
      );
      messageLog.info({ attempts: row.attempts }, 'outbox message delivered');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (error instanceof PermanentDeliveryError || row.attempts >= maxAttempts) {
        await db.query(
          `update outbox set status = 'dead', last_error = $3
           where id = $1 and attempts = $2 and status = 'pending'`,
          [row.id, row.attempts, reason],
        );
        messageLog.error({ attempts: row.attempts, reason }, 'outbox message set aside as dead');
        return;
      }
      const delayMs = this.#retryDelay(row.attempts);
      await db.query(
        `update outbox set next_attempt_at = now() + $3 * interval '1 millisecond', last_error = $4
         where id = $1 and attempts = $2 and status = 'pending'`,
        [row.id, row.attempts, delayMs, reason],
      );
      messageLog.warn(
        { attempts: row.attempts, retryInMs: delayMs, reason },
        'outbox delivery failed; will retry',
      );
    }
  }

  /** Exponential backoff with "equal jitter": half the capped delay, plus a random half. */
  #retryDelay(attempts: number): number {
    const capped = Math.min(
      this.#options.maxDelayMs,
      this.#options.baseDelayMs * 2 ** (attempts - 1),
    );
    return Math.round(capped / 2 + Math.random() * (capped / 2));
  }
}
