import { AsyncLocalStorage } from 'node:async_hooks';
import { type DeadLetter, problemTypes, type ServiceWithOutbox } from '@cheesecake/contracts';
import type { z } from 'zod';
import {
  type Correlation,
  correlationLogFields,
  currentCorrelation,
  newRequestId,
  runWithCorrelation,
} from './correlation.js';
import type { Database, Queryable } from './database.js';
import { newId } from './ids.js';
import type { Logger } from './logger.js';
import { ProblemError } from './problem-error.js';
import { continueTrace, formatTraceparent, startTrace } from './trace-context.js';

/** A message waiting in the outbox, as the relay hands it to a deliverer. */
export interface OutboxMessage {
  id: string;
  destination: string;
  payload: unknown;
  /** The request id of the request that caused the message, sent on with it. */
  requestId: string | null;
  /** How many deliveries have been attempted, this one included. */
  attempts: number;
}

/**
 * Adds a message to the outbox inside the caller's transaction, so the message exists
 * if and only if the change that caused it is committed. The message keeps the request
 * id (`requestId`, else the current correlation's) and the current W3C trace context (a
 * new trace outside any request), which every attempt to deliver it carries on.
 */
export async function enqueue(
  tx: Queryable,
  message: { destination: string; payload: unknown; requestId?: string | undefined },
): Promise<string> {
  const id = newId('msg');
  const correlation = currentCorrelation();
  // Work outside any request (a background worker) starts a trace of its own here, so every
  // attempt to deliver the message still shares one trace.
  const trace = correlation?.trace ?? startTrace();
  await tx.query(
    `insert into outbox (id, destination, payload, request_id, traceparent, tracestate)
     values ($1, $2, $3::jsonb, $4, $5, $6)`,
    [
      id,
      message.destination,
      JSON.stringify(message.payload),
      message.requestId ?? correlation?.requestId ?? null,
      formatTraceparent(trace),
      trace.tracestate ?? null,
    ],
  );
  return id;
}

// The message being delivered, for everything its deliverer calls and awaits.
const deliveries = new AsyncLocalStorage<OutboxMessage>();

/** The outbox message whose delivery is in progress, if any. */
export function currentDelivery(): OutboxMessage | undefined {
  return deliveries.getStore();
}

/**
 * The headers that tell a receiver which outbox message a call delivers: `X-Message-Id`,
 * the same on every attempt, so the receiver can log it and recognise a redelivery. Empty
 * outside a delivery.
 */
export function deliveryHeaders(
  message: OutboxMessage | undefined = currentDelivery(),
): Record<string, string> {
  return message ? { 'x-message-id': message.id } : {};
}

/** Thrown by a deliverer when retrying cannot help (the receiver rejected the message). */
export class PermanentDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}

/**
 * The error for a receiver's declared refusal of a message. A 4xx is permanent, since
 * sending the same message again cannot change the answer, except 401: our credential was
 * refused (a secret being rotated, a clock out of step), which configuration fixes, so the
 * relay keeps trying.
 */
export function refusedDelivery(
  receiver: string,
  answer: { status: number; body: { title: string; detail?: string | undefined } },
): Error {
  const message = `${receiver} answered ${answer.status}: ${answer.body.detail ?? answer.body.title}`;
  return answer.status === 401 ? new Error(message) : new PermanentDeliveryError(message);
}

/**
 * A message's payload parsed with the schema of its destination. One that does not parse
 * will not parse on a retry either, so it is a {@link PermanentDeliveryError}.
 */
export function payloadOf<S extends z.ZodType>(message: OutboxMessage, schema: S): z.output<S> {
  const parsed = schema.safeParse(message.payload);
  if (!parsed.success) {
    throw new PermanentDeliveryError(
      `malformed ${message.destination} payload: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}

/** The request context a delivery passes to a client call: the request id that caused it. */
export function deliveryContextOf(message: OutboxMessage): { requestId?: string } {
  return message.requestId ? { requestId: message.requestId } : {};
}

/** Delivers one message; resolves once the receiver has accepted it (2xx), throws otherwise. */
export type Deliverer = (message: OutboxMessage) => Promise<void>;

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
    // Each attempt is a new hop of the trace that enqueued the message, under its request id.
    const correlation: Correlation = {
      requestId: row.request_id ?? newRequestId(),
      trace: continueTrace(row.traceparent ?? undefined, row.tracestate ?? undefined),
    };
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
      await runWithCorrelation(correlation, () =>
        deliveries.run(message, () => deliverer(message)),
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

/** How many outbox messages wait to be delivered and how many were set aside as dead. */
export async function countOutboxMessages(
  db: Queryable,
): Promise<{ pending: number; dead: number }> {
  const rows = await db.query<{ status: 'pending' | 'dead'; count: number }>(
    `select status, count(*)::int as count from outbox where status in ('pending', 'dead')
     group by status`,
  );
  const countOf = (status: string) => rows.find((row) => row.status === status)?.count ?? 0;
  return { pending: countOf('pending'), dead: countOf('dead') };
}

/** No outbox message has this id. */
export class OutboxMessageNotFoundError extends ProblemError {
  constructor(messageId: string) {
    super(problemTypes.notFound, `No outbox message ${messageId}`);
  }
}

/** The message is pending or delivered, so there is nothing to retry. */
export class OutboxMessageNotDeadError extends ProblemError {
  constructor(messageId: string, status: string) {
    super(
      problemTypes.outboxMessageNotDead,
      `Outbox message ${messageId} is ${status}; only a dead one can be retried`,
    );
  }
}

interface DeadLetterRow {
  id: string;
  destination: string;
  payload: unknown;
  attempts: number;
  last_error: string | null;
  request_id: string | null;
  created_at: Date;
}

const DEAD_LETTER_COLUMNS =
  'id, destination, payload, attempts, last_error, request_id, created_at';

/**
 * The dead letters of one service's outbox, for the operations routes: listing them, and
 * putting one back to be delivered again from its first attempt. Receivers deduplicate, so
 * delivering again a message that did arrive after all changes nothing.
 */
export class DeadLetters {
  readonly #service: ServiceWithOutbox;
  readonly #db: Database;
  readonly #relay: { wake(): void };

  constructor(options: { service: ServiceWithOutbox; db: Database; relay: { wake(): void } }) {
    this.#service = options.service;
    this.#db = options.db;
    this.#relay = options.relay;
  }

  /** Every message set aside as dead, oldest first. */
  async list(): Promise<DeadLetter[]> {
    const rows = await this.#db.query<DeadLetterRow>(
      `select ${DEAD_LETTER_COLUMNS} from outbox where status = 'dead' order by created_at, id`,
    );
    return rows.map((row) => this.#toDeadLetter(row));
  }

  /**
   * Makes a dead message pending again, due now and with no attempts counted, and wakes the
   * relay. 404 for an unknown message, 409 for one that is not dead (it may have been retried
   * already).
   */
  async retry(messageId: string): Promise<DeadLetter> {
    const [row] = await this.#db.query<DeadLetterRow>(
      `update outbox set status = 'pending', attempts = 0, next_attempt_at = now()
       where id = $1 and status = 'dead'
       returning ${DEAD_LETTER_COLUMNS}`,
      [messageId],
    );
    if (!row) {
      const [other] = await this.#db.query<{ status: string }>(
        'select status from outbox where id = $1',
        [messageId],
      );
      if (!other) throw new OutboxMessageNotFoundError(messageId);
      throw new OutboxMessageNotDeadError(messageId, other.status);
    }
    this.#relay.wake();
    return this.#toDeadLetter(row);
  }

  #toDeadLetter(row: DeadLetterRow): DeadLetter {
    return {
      id: `${this.#service}-${row.id}`,
      service: this.#service,
      messageId: row.id,
      destination: row.destination,
      payload: row.payload,
      attempts: row.attempts,
      lastError: row.last_error,
      requestId: row.request_id,
      createdAt: row.created_at.toISOString(),
    };
  }
}
