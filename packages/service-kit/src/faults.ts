import { setTimeout as sleep } from 'node:timers/promises';
import { type FaultSettings, problemTypes } from '@cheesecake/contracts';
import type { RequestHandler } from 'express';
import type { Database } from './database.js';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';
import { ProblemError } from './problem-error.js';

/** The settings of a service whose database holds none: off. */
export const NO_FAULTS: FaultSettings = { failureRate: 0, latencyMs: 0 };

/**
 * How long a replica injects the settings it last read before reading them again. Reading
 * them for every request would cost every request a query; a second is soon enough for a fault.
 */
export const FAULT_SETTINGS_CACHE_MS = 1_000;

/** A request failed on purpose: 503, saying so, so nobody hunts for a real outage. */
export class InjectedFaultError extends ProblemError {
  constructor(service: string) {
    super(
      problemTypes.serviceUnavailable,
      `The ${service} service failed this request on purpose: fault injection is on`,
      { service, injected: true },
    );
  }
}

const sameSettings = (a: FaultSettings, b: FaultSettings) =>
  a.failureRate === b.failureRate && a.latencyMs === b.latencyMs;

/**
 * Deliberate faults in a service, for demos and resilience tests: added latency, then a share
 * of requests answered 503. Off until set. Kept in the service's database, which every replica
 * reads, so a fault set through any of them reaches all within about a second. They outlive a
 * restart too, which may surprise an operator: only zeros (the ops console's 0 %) switch them
 * off. Logged and counted whenever they change or strike.
 */
export class FaultInjection {
  readonly #service: string;
  readonly #db: Database;
  readonly #log: Logger;
  readonly #metrics: ServiceMetrics | undefined;
  #settings: FaultSettings = NO_FAULTS;
  /** When the settings were last set or read (`performance.now()`): never, at first. */
  #readAt = Number.NEGATIVE_INFINITY;
  #reading: Promise<void> | undefined;
  /** Counts the sets, so that a read begun before one does not bring back what it replaced. */
  #sets = 0;
  #readFailing = false;

  constructor(options: {
    service: string;
    db: Database;
    log: Logger;
    metrics?: ServiceMetrics | undefined;
  }) {
    this.#service = options.service;
    this.#db = options.db;
    this.#log = options.log;
    this.#metrics = options.metrics;
  }

  /** The faults this replica injects now. */
  get settings(): FaultSettings {
    return this.#settings;
  }

  /**
   * Stores the faults for every replica, and injects them here from the next request on;
   * zeros switch them off.
   */
  async set(settings: FaultSettings): Promise<FaultSettings> {
    const { failureRate, latencyMs } = settings;
    await this.#db.query(
      `insert into fault_settings (failure_rate, latency_ms) values ($1, $2)
       on conflict (id) do update set
         failure_rate = excluded.failure_rate,
         latency_ms = excluded.latency_ms,
         updated_at = now()`,
      [failureRate, latencyMs],
    );
    this.#sets += 1;
    this.#readAt = performance.now();
    this.#use({ failureRate, latencyMs });
    return this.#settings;
  }

  /**
   * Middleware that injects the current faults into every request it sees: mount it after
   * the routes that must keep working (health, metrics, the ops routes that switch it off).
   */
  middleware(): RequestHandler {
    return async (req, _res, next) => {
      await this.#fresh();
      const { failureRate, latencyMs } = this.#settings;
      if (latencyMs > 0) {
        this.#metrics?.injectedFaults.inc({ kind: 'latency' });
        req.log.warn({ injectedLatencyMs: latencyMs }, 'injected fault: latency');
        await sleep(latencyMs);
      }
      if (failureRate > 0 && Math.random() < failureRate) {
        this.#metrics?.injectedFaults.inc({ kind: 'failure' });
        req.log.warn({ failureRate }, 'injected fault: failing the request');
        throw new InjectedFaultError(this.#service);
      }
      next();
    };
  }

  /** Resolves once the settings are at most `FAULT_SETTINGS_CACHE_MS` old; one read at a time. */
  #fresh(): Promise<void> {
    if (performance.now() - this.#readAt < FAULT_SETTINGS_CACHE_MS) return Promise.resolve();
    this.#reading ??= this.#read().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  async #read(): Promise<void> {
    const sets = this.#sets;
    try {
      const [row] = await this.#db.query<{ failure_rate: number; latency_ms: number }>(
        'select failure_rate, latency_ms from fault_settings',
      );
      if (this.#readFailing) this.#log.info('fault settings read again');
      this.#readFailing = false;
      if (sets !== this.#sets) return;
      this.#use(row ? { failureRate: row.failure_rate, latencyMs: row.latency_ms } : NO_FAULTS);
    } catch (error) {
      // Faults are a test's tool, never a reason to fail a request: the last known ones stay.
      if (!this.#readFailing) {
        this.#log.warn(
          { err: error, faults: this.#settings },
          'cannot read the fault settings: injecting the last known',
        );
      }
      this.#readFailing = true;
    } finally {
      this.#readAt = performance.now();
    }
  }

  #use(settings: FaultSettings): void {
    if (sameSettings(settings, this.#settings)) return;
    this.#settings = settings;
    this.#metrics?.faultFailureRatio.set(settings.failureRate);
    this.#metrics?.faultLatency.set(settings.latencyMs / 1000);
    const off = sameSettings(settings, NO_FAULTS);
    this.#log.warn({ faults: settings }, off ? 'fault injection off' : 'fault injection on');
  }
}
