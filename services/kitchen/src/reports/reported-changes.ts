import type { Database, Queryable } from '@cheesecake/service-kit';

/** Something to tell that reports are waiting in the outbox: the relay. */
export interface ReportSender {
  wake(): void;
}

/**
 * The kitchen's database as its use cases see it: reads, and changes whose reports to the
 * order service leave as soon as the change commits rather than at the relay's next poll.
 */
export class ReportedChanges {
  readonly db: Database;
  readonly #reports: ReportSender;

  constructor(db: Database, reports: ReportSender) {
    this.db = db;
    this.#reports = reports;
  }

  /** Runs `work` in one transaction and, once it has committed, wakes the relay. */
  async run<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const result = await this.db.transaction(work);
    this.#reports.wake();
    return result;
  }
}
