import { AsyncLocalStorage } from 'node:async_hooks';
import { currentCorrelation } from './correlation.js';
import type { Queryable } from './database.js';
import { newId } from './ids.js';
import { traceCarrierForLater } from './tracing.js';

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
 * id (`requestId`, else the current correlation's) and the current trace context (a new
 * trace outside any request), which every attempt to deliver it continues.
 */
export async function enqueue(
  tx: Queryable,
  message: { destination: string; payload: unknown; requestId?: string | undefined },
): Promise<string> {
  const id = newId('msg');
  const correlation = currentCorrelation();
  const trace = traceCarrierForLater(`outbox enqueue ${message.destination}`);
  await tx.query(
    `insert into outbox (id, destination, payload, request_id, traceparent, tracestate)
     values ($1, $2, $3::jsonb, $4, $5, $6)`,
    [
      id,
      message.destination,
      JSON.stringify(message.payload),
      message.requestId ?? correlation?.requestId ?? null,
      trace.traceparent ?? null,
      trace.tracestate ?? null,
    ],
  );
  return id;
}

// The message being delivered, for everything its deliverer calls and awaits.
const deliveries = new AsyncLocalStorage<OutboxMessage>();

/** Runs `deliver` as the delivery of `message`, which {@link deliveryHeaders} then names. */
export function runDelivery<T>(message: OutboxMessage, deliver: () => Promise<T>): Promise<T> {
  return deliveries.run(message, deliver);
}

/**
 * The headers that tell a receiver which outbox message a call delivers: `X-Message-Id`,
 * the same on every attempt, so the receiver can log it and recognise a redelivery. Empty
 * outside a delivery.
 */
export function deliveryHeaders(
  message: OutboxMessage | undefined = deliveries.getStore(),
): Record<string, string> {
  return message ? { 'x-message-id': message.id } : {};
}

/**
 * How many outbox messages wait to be delivered and how many were set aside as dead, and how
 * long the oldest waiting one has waited (0 when none waits).
 */
export async function countOutboxMessages(
  db: Queryable,
): Promise<{ pending: number; dead: number; oldestPendingSeconds: number }> {
  const [row] = await db.query<{ pending: number; dead: number; oldest: number | null }>(
    `select count(*) filter (where status = 'pending')::int as pending,
            count(*) filter (where status = 'dead')::int as dead,
            extract(epoch from now() - min(created_at) filter (where status = 'pending'))::float8
              as oldest
     from outbox where status in ('pending', 'dead')`,
  );
  return {
    pending: row?.pending ?? 0,
    dead: row?.dead ?? 0,
    oldestPendingSeconds: Math.max(0, row?.oldest ?? 0),
  };
}
