import { type Database, openDatabase } from './database.js';
import { Downstream } from './downstream.js';
import { createLogger, type Logger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';
import { runMigrations } from './migrations.js';
import type { Deliverer } from './outbox-deliverers.js';
import { OutboxRelay } from './outbox-relay.js';
import { DownstreamPolicy } from './resilience.js';

/** What a service's config says about its logging and its database (`serviceEnvSchema`). */
export interface ServiceBasics {
  LOG_LEVEL: string;
  /** A PostgreSQL URL, `memory://`, or unset for PGlite in `DATA_DIR`. */
  DATABASE_URL?: string | undefined;
  DATA_DIR: string;
}

/**
 * The first steps of a service with a database: its logger, then its database opened and
 * brought up to date with `migrations` (migration folders, run in order). Then main.ts builds
 * the app and its workers and hands them to `runService`.
 */
export async function prepareService(
  service: string,
  config: ServiceBasics,
  migrations: string[],
): Promise<{ log: Logger; db: Database }> {
  const log = createLogger(service, config.LOG_LEVEL);
  const db = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR, log });
  await runMigrations(db, migrations, log);
  return { log, db };
}

/** What a service that calls others through its outbox reads from its config (`callerEnv`). */
export interface CallerSettings {
  INTERNAL_TOKEN_SECRET: string;
  DOWNSTREAM_TIMEOUT_MS: number;
  OUTBOX_POLL_INTERVAL_MS: number;
  OUTBOX_MAX_ATTEMPTS: number;
}

/**
 * How a backend service reaches the services it calls, as its config says: one
 * {@link Downstream} per callee, each with its own policy and breaker, and the outbox relay.
 */
export class ServiceCalls {
  readonly #from: string;
  readonly #config: CallerSettings;
  readonly #deps: { db: Database; log: Logger; metrics: ServiceMetrics };

  constructor(
    from: string,
    config: CallerSettings,
    deps: { db: Database; log: Logger; metrics: ServiceMetrics },
  ) {
    this.#from = from;
    this.#config = config;
    this.#deps = deps;
  }

  /** The downstream for `service` at `baseUrl`; its breaker's state shows in the metrics. */
  to(service: string, baseUrl: string): Downstream {
    const { log, metrics } = this.#deps;
    return new Downstream({
      from: this.#from,
      to: service,
      baseUrl,
      secret: this.#config.INTERNAL_TOKEN_SECRET,
      policy: new DownstreamPolicy({
        service,
        timeoutMs: this.#config.DOWNSTREAM_TIMEOUT_MS,
        log,
        observer: metrics,
      }),
    });
  }

  /** The relay that delivers the outbox's messages with `deliverers`, one per message type. */
  relay(deliverers: Record<string, Deliverer>): OutboxRelay {
    const { db, log } = this.#deps;
    return new OutboxRelay({
      db,
      log,
      deliverers,
      pollIntervalMs: this.#config.OUTBOX_POLL_INTERVAL_MS,
      maxAttempts: this.#config.OUTBOX_MAX_ATTEMPTS,
    });
  }
}
