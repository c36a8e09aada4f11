import type { Ticket } from '@cheesecake/contracts';
import {
  contextFrom,
  type Database,
  inSpan,
  type Logger,
  newRequestId,
  type Queryable,
} from '@cheesecake/service-kit';
import type { ReportSender } from '../reports/reported-changes.js';
import { statusAfter } from './ticket-lifecycle.js';
import { countTickets, type DueTicket, lockTicketsDue } from './ticket-store.js';
import { moveTicket } from './tickets.js';

/** How the kitchen prepares tickets by itself. */
export interface PreparationOptions {
  db: Database;
  log: Logger;
  reports: ReportSender;
  /** How many tickets may be in preparation at once. */
  stations: number;
  /** How long a ticket stays queued before a station may start it. */
  startDelayMs: number;
  /** How long a ticket takes to prepare. */
  preparationMs: number;
  /** How often to look for work; default 250 ms. */
  intervalMs?: number;
}

/** What one tick changed. */
export interface PreparationTick {
  started: Ticket[];
  finished: Ticket[];
}

/**
 * The kitchen working by itself: every tick it finishes the tickets that have been prepared
 * long enough, then starts the oldest queued tickets while a station is free. Each change and
 * its status report are one transaction. Several replicas may run it at once: tickets are
 * claimed with `for update skip locked`, and starting is serialized so stations are shared.
 */
export class Preparation {
  readonly #options: Required<PreparationOptions>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = true;

  constructor(options: PreparationOptions) {
    this.#options = { intervalMs: 250, ...options };
  }

  start(): void {
    this.#stopped = false;
    this.#schedule();
  }

  /** Stops ticking and waits for the tick in progress to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  async tick(): Promise<PreparationTick> {
    const finished = await this.#finishPreparedTickets();
    const started = await this.#startQueuedTickets();
    if (finished.length + started.length > 0) this.#options.reports.wake();
    return { started, finished };
  }

  #finishPreparedTickets(): Promise<Ticket[]> {
    const { db, preparationMs } = this.#options;
    return db.transaction(async (tx) => {
      const prepared = await lockTicketsDue(tx, 'markReady', preparationMs);
      const finished: Ticket[] = [];
      for (const due of prepared) {
        finished.push(await this.#move(tx, due, 'markReady'));
      }
      return finished;
    });
  }

  #startQueuedTickets(): Promise<Ticket[]> {
    const { db, stations, startDelayMs } = this.#options;
    return db.transaction(async (tx) => {
      // Replicas take turns here, so each counts the stations the others have just filled.
      await tx.query('select pg_advisory_xact_lock(hashtext($1))', ['kitchen-stations']);
      const freeStations = stations - (await countTickets(tx, 'PREPARING'));
      if (freeStations <= 0) return [];

      const due = await lockTicketsDue(tx, 'start', startDelayMs, freeStations);
      const started: Ticket[] = [];
      for (const ticket of due) {
        started.push(await this.#move(tx, ticket, 'start'));
      }
      return started;
    });
  }

  // In the trace the ticket was created in, so its report continues the payment's trace.
  #move(tx: Queryable, due: DueTicket, name: 'start' | 'markReady'): Promise<Ticket> {
    const { ticket, createdIn } = due;
    const status = statusAfter(ticket, name);
    return inSpan(
      `kitchen ${name}`,
      {
        parent: contextFrom(createdIn),
        attributes: { 'cheesecake.ticket.id': ticket.id, 'cheesecake.order.id': ticket.orderId },
      },
      // An automatic change answers no request; a fresh id still ties the delivery of its
      // report to the order service's handling of it in the logs.
      () => moveTicket(tx, ticket.id, status, newRequestId()),
    );
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#running = this.tick()
        .then(({ started, finished }) => {
          if (started.length + finished.length > 0) {
            this.#options.log.info(
              { started: started.map((t) => t.id), finished: finished.map((t) => t.id) },
              'preparation moved tickets',
            );
          }
        })
        .catch((error: unknown) => {
          this.#options.log.error({ err: error }, 'preparation tick failed');
        })
        .finally(() => {
          this.#running = undefined;
          if (!this.#stopped) this.#schedule();
        });
    }, this.#options.intervalMs);
  }
}
