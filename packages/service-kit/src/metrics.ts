import type { RequestHandler } from 'express';
import {
  type Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  Counter as PromCounter,
  Registry,
} from 'prom-client';
import type { Database } from './database.js';
import type { Logger } from './logger.js';
import { countOutboxMessages } from './outbox.js';
import type { BreakerState, CallOutcome, DownstreamObserver } from './resilience-settings.js';

/** The metrics a service adds with {@link ServiceMetrics}' methods: prom-client's. */
export type { Counter, Gauge, Histogram } from 'prom-client';

/** The `route` label of a request no route matched, so unknown paths cannot add label values. */
const UNMATCHED_ROUTE = '(unmatched)';

/** The states a circuit breaker can be in, as the `state` label names them. */
const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half-open'];

/**
 * The Prometheus metrics of one app, in a registry of its own (never prom-client's global
 * one, so tests can build many apps): the process's default metrics, request durations by
 * method, route pattern and status, calls to each downstream by outcome, injected faults,
 * circuit breaker states and, once {@link ServiceMetrics.observeOutbox} is called, the outbox
 * backlog. Services add their own with its `counter`, `histogram` and `gaugeOnScrape`.
 */
export class ServiceMetrics implements DownstreamObserver {
  /** Where every metric of the app is registered; `/metrics` answers its exposition. */
  readonly registry: Registry;
  /** `http_request_duration_seconds{method, route, status}`. */
  readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  /** `downstream_request_duration_seconds{downstream, outcome}`: calls made, retries included. */
  readonly downstreamDuration: Histogram<'downstream' | 'outcome'>;
  /** `injected_faults_total{kind}`: requests delayed (`latency`) or failed (`failure`) on purpose. */
  readonly injectedFaults: Counter<'kind'>;
  /** `injected_fault_failure_ratio`: the share of requests currently failed on purpose. */
  readonly faultFailureRatio: Gauge;
  /** `injected_fault_latency_seconds`: the latency currently added to every request. */
  readonly faultLatency: Gauge;
  /** `circuit_breaker_state{downstream, state}`: 1 for each breaker's current state, 0 for the others. */
  readonly breakerState: Gauge<'downstream' | 'state'>;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    collectDefaultMetrics({ register: registry });
    this.requestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer a request, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
    this.downstreamDuration = new Histogram({
      name: 'downstream_request_duration_seconds',
      help: 'Time to get an answer from a downstream, retries included, by downstream and outcome (status class, unreachable, timeout, rejected, cancelled)',
      labelNames: ['downstream', 'outcome'],
      registers: [registry],
    });
    this.injectedFaults = this.counter({
      name: 'injected_faults_total',
      help: 'Requests delayed (kind="latency") or failed (kind="failure") by fault injection',
      labelNames: ['kind'],
    });
    this.faultFailureRatio = new Gauge({
      name: 'injected_fault_failure_ratio',
      help: 'The share of requests fault injection answers 503; 0 when off',
      registers: [registry],
    });
    this.faultLatency = new Gauge({
      name: 'injected_fault_latency_seconds',
      help: 'The latency fault injection adds to every request; 0 when off',
      registers: [registry],
    });
    this.breakerState = new Gauge({
      name: 'circuit_breaker_state',
      help: 'The state of the circuit breaker of each downstream: 1 for its current state',
      labelNames: ['downstream', 'state'],
      registers: [registry],
    });
  }

  /** A counter registered with this app's metrics, such as a service's business outcomes. */
  counter<L extends string>(config: {
    name: string;
    help: string;
    labelNames?: readonly L[];
  }): Counter<L> {
    return new PromCounter({ ...config, registers: [this.registry] });
  }

  /** Records a circuit breaker's new state: 1 for it, 0 for the others. */
  breakerChanged(downstream: string, state: BreakerState): void {
    for (const each of BREAKER_STATES) {
      this.breakerState.set({ downstream, state: each }, each === state ? 1 : 0);
    }
  }

  /** Records a call to a downstream: how it ended and how long it took. */
  callEnded(downstream: string, outcome: CallOutcome, seconds: number): void {
    this.downstreamDuration.observe({ downstream, outcome }, seconds);
  }

  /** A histogram registered with this app's metrics, such as how long a saga takes. */
  histogram<L extends string>(config: {
    name: string;
    help: string;
    labelNames?: readonly L[];
    buckets?: number[];
  }): Histogram<L> {
    return new Histogram({ ...config, registers: [this.registry] });
  }

  /**
   * A gauge registered with this app's metrics whose values `collect` sets when `/metrics`
   * is scraped, such as counts from the database. A failed collection is logged and leaves
   * the last values.
   */
  gaugeOnScrape<L extends string>(
    config: { name: string; help: string; labelNames?: readonly L[] },
    log: Logger,
    collect: (gauge: Gauge<L>) => Promise<void>,
  ): Gauge<L> {
    return new Gauge({
      ...config,
      registers: [this.registry],
      async collect() {
        try {
          await collect(this);
        } catch (error) {
          log.warn({ err: error, metric: config.name }, 'could not collect a metric for /metrics');
        }
      },
    });
  }

  /**
   * Adds `outbox_messages{status}`, the messages waiting (`pending`) and set aside (`dead`)
   * in `db`'s outbox, and `outbox_oldest_pending_age_seconds`, counted when scraped.
   */
  observeOutbox(db: Database, log: Logger): void {
    // prom-client collects gauges side by side: both share the one count of a scrape.
    let counting: ReturnType<typeof countOutboxMessages> | undefined;
    const count = () => {
      counting ??= countOutboxMessages(db).finally(() => {
        counting = undefined;
      });
      return counting;
    };
    this.gaugeOnScrape(
      {
        name: 'outbox_messages',
        help: 'Outbox messages waiting to be delivered (pending) and set aside (dead)',
        labelNames: ['status'],
      },
      log,
      async (gauge) => {
        const counts = await count();
        gauge.set({ status: 'pending' }, counts.pending);
        gauge.set({ status: 'dead' }, counts.dead);
      },
    );
    this.gaugeOnScrape(
      {
        name: 'outbox_oldest_pending_age_seconds',
        help: 'How long the oldest message waiting in the outbox has waited; 0 when none waits',
      },
      log,
      async (gauge) => gauge.set((await count()).oldestPendingSeconds),
    );
  }

  /**
   * Times every request once its answer is sent. The route label is the pattern of the
   * route that answered (`/orders/:orderId`), never the path, so ids cannot multiply label
   * values; a request no route matched is {@link UNMATCHED_ROUTE}.
   */
  timeRequests(): RequestHandler {
    return (req, res, next) => {
      const stop = this.requestDuration.startTimer();
      res.once('finish', () => {
        const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : UNMATCHED_ROUTE;
        stop({ method: req.method, route, status: String(res.statusCode) });
      });
      next();
    };
  }

  /** `GET /metrics`: the registry in the Prometheus text format. */
  exposition(): RequestHandler {
    return async (_req, res) => {
      const body = await this.registry.metrics();
      res.set('content-type', this.registry.contentType).send(body);
    };
  }
}
