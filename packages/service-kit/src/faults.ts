import { setTimeout as sleep } from 'node:timers/promises';
import { type FaultSettings, problemTypes } from '@cheesecake/contracts';
import type { RequestHandler } from 'express';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';
import { ProblemError } from './problem-error.js';

/** Fault injection's settings until someone sets others: off. */
export const NO_FAULTS: FaultSettings = { failureRate: 0, latencyMs: 0 };

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

/**
 * Deliberate faults in one process, for demos and resilience tests: added latency, then a
 * share of requests answered 503. Off until set, kept in memory only (a restart switches
 * them off), and logged and counted whenever they change or strike.
 */
export class FaultInjection {
  readonly #service: string;
  readonly #log: Logger;
  readonly #metrics: ServiceMetrics | undefined;
  #settings: FaultSettings = NO_FAULTS;

  constructor(options: { service: string; log: Logger; metrics?: ServiceMetrics | undefined }) {
    this.#service = options.service;
    this.#log = options.log;
    this.#metrics = options.metrics;
  }

  /** The faults injected now. */
  get settings(): FaultSettings {
    return this.#settings;
  }

  /** Replaces the faults injected from the next request on; zeros switch them off. */
  set(settings: FaultSettings): FaultSettings {
    this.#settings = { failureRate: settings.failureRate, latencyMs: settings.latencyMs };
    this.#metrics?.faultFailureRatio.set(settings.failureRate);
    this.#metrics?.faultLatency.set(settings.latencyMs / 1000);
    const off = settings.failureRate === 0 && settings.latencyMs === 0;
    this.#log.warn({ faults: this.#settings }, off ? 'fault injection off' : 'fault injection on');
    return this.#settings;
  }

  /**
   * Middleware that injects the current faults into every request it sees: mount it after
   * the routes that must keep working (health, metrics, the ops routes that switch it off).
   */
  middleware(): RequestHandler {
    return async (req, _res, next) => {
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
}
