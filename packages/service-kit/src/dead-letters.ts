import { type OutboxDeadLetter, problemTypes } from '@cheesecake/contracts';
import type { Database } from './database.js';
import { ProblemError } from './problem-error.js';

/** No outbox message has this id. */
class OutboxMessageNotFoundError extends ProblemError {
  constructor(messageId: string) {
    super(problemTypes.notFound, `No outbox message ${messageId}`);
  }
}

/** The message is pending or delivered, so there is nothing to retry. */
class OutboxMessageNotDeadError extends ProblemError {
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
  readonly #db: Database;
  readonly #relay: { wake(): void };

  constructor(options: { db: Database; relay: { wake(): void } }) {
    this.#db = options.db;
    this.#relay = options.relay;
  }

  /** Every message set aside as dead, oldest first. */
  async list(): Promise<OutboxDeadLetter[]> {
    const rows = await this.#db.query<DeadLetterRow>(
      `select ${DEAD_LETTER_COLUMNS} from outbox where status = 'dead' order by created_at, id`,
    );
    return rows.map((row) => toDeadLetter(row));
  }

  /**
   * Makes a dead message pending again, due now and with no attempts counted, and wakes the
   * relay. 404 for an unknown message, 409 for one that is not dead (it may have been retried
   * already).
   */
  async retry(messageId: string): Promise<OutboxDeadLetter> {
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
    return toDeadLetter(row);
  }
}

function toDeadLetter(row: DeadLetterRow): OutboxDeadLetter {
  return {
    messageId: row.id,
    destination: row.destination,
    payload: row.payload,
    attempts: row.attempts,
    lastError: row.last_error,
    requestId: row.request_id,
    createdAt: row.created_at.toISOString(),
  };
}
