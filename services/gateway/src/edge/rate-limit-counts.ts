import type { Logger, ServiceMetrics } from '@cheesecake/service-kit';
import {
  type ClientRateLimitInfo,
  type IncrementResponse,
  MemoryStore,
  type Options,
  type Store,
} from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import { createClient } from 'redis';

/** Where the rate limiters count: one store for each limiter, by its name. */
export interface RateLimitCounts {
  /** The store of the limiter called `name` (`requests`, `logins`). */
  store(name: string): Store;
  /** Starts counting where the counts are kept (`runService` starts it as a worker). */
  start(): void;
  /** Lets go of whatever the counts hold open, on shutdown. */
  stop(): Promise<void>;
}

/** Counts in this process's memory: each gateway replica has budgets of its own. */
export class LocalCounts implements RateLimitCounts {
  store(_name: string): Store {
    return new MemoryStore();
  }

  start(): void {}

  async stop(): Promise<void> {}
}

// A rate limit must never hold a request up for long: past this, the local count answers.
const COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 2_000;
const MAX_RECONNECT_DELAY_MS = 5_000;

/**
 * Counts in Redis, which every gateway replica shares, so a user's budget is one budget
 * however many replicas serve them. While Redis cannot be reached each replica counts in its
 * own memory instead (failing open, never refusing everyone), logs it once, and counts each
 * failed operation in `rate_limit_store_errors_total`.
 */
export class SharedCounts implements RateLimitCounts {
  readonly #client;
  readonly #log: Logger;
  readonly #countError: (store: string) => void;
  readonly #stores: FailOverStore[] = [];
  // Unknown until the first connection succeeds or fails, so that both are logged.
  #reachable: boolean | undefined;

  constructor(options: { url: string; log: Logger; metrics: ServiceMetrics }) {
    this.#log = options.log;
    const errors = options.metrics.counter({
      name: 'rate_limit_store_errors_total',
      help: 'Operations on the shared rate-limit store (Redis) that failed, so this gateway counted in its own memory',
      labelNames: ['store'],
    });
    this.#countError = (store) => errors.inc({ store });
    options.metrics.gaugeOnScrape(
      {
        name: 'rate_limit_store_up',
        help: '1 while the shared rate-limit store (Redis) is reachable, 0 while this gateway counts in its own memory',
      },
      options.log,
      async (gauge) => gauge.set(this.#reachable ? 1 : 0),
    );
    this.#client = createClient({
      url: options.url,
      // Queued while disconnected, a command would hold its request until Redis is back.
      disableOfflineQueue: true,
      commandOptions: { timeout: COMMAND_TIMEOUT_MS, rejectInFlight: true },
      socket: {
        connectTimeout: CONNECT_TIMEOUT_MS,
        reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, MAX_RECONNECT_DELAY_MS),
      },
    });
    this.#client.on('error', (error: Error) => this.#lost(error));
    this.#client.on('ready', () => this.#found());
  }

  start(): void {
    // Not awaited: the gateway serves from the first moment, counting locally until Redis answers.
    this.#client.connect().catch((error: Error) => this.#lost(error));
  }

  store(name: string): Store {
    const store = new FailOverStore({
      shared: new RedisStore({
        prefix: `rate-limit:${name}:`,
        sendCommand: (...command: string[]) => this.#client.sendCommand(command),
      }),
      failed: (error) => {
        this.#countError(name);
        this.#lost(error);
      },
      connected: () => this.#client.isReady,
    });
    this.#stores.push(store);
    return store;
  }

  async stop(): Promise<void> {
    if (this.#client.isOpen) this.#client.destroy();
  }

  #found(): void {
    this.#reachable = true;
    this.#log.info('the shared rate-limit store is reachable: counting there');
    // Its scripts are loaded per connection: a restarted Redis has forgotten them.
    for (const store of this.#stores) store.reload();
  }

  #lost(error: Error): void {
    if (this.#reachable === false) return;
    this.#reachable = false;
    this.#log.warn(
      { err: error },
      'the shared rate-limit store is unreachable: counting in this gateway until it is back',
    );
  }
}

/** A limiter's store: Redis's count, or this process's own while Redis fails. */
class FailOverStore implements Store {
  readonly #shared: RedisStore;
  readonly #local = new MemoryStore();
  readonly #failed: (error: Error) => void;
  readonly #connected: () => boolean;
  #options: Options | undefined;

  constructor(options: {
    shared: RedisStore;
    failed: (error: Error) => void;
    connected: () => boolean;
  }) {
    this.#shared = options.shared;
    this.#failed = options.failed;
    this.#connected = options.connected;
  }

  init(options: Options): void {
    // Both the limiter and RequestBudgets initialize it; once is enough.
    if (this.#options) return;
    this.#options = options;
    this.#local.init(options);
    // Otherwise the first connection loads the scripts (`reload`).
    if (this.#connected()) this.reload();
  }

  /** Loads the shared store's scripts again; until that succeeds, the local count answers. */
  reload(): void {
    if (!this.#options) return;
    this.#shared.init(this.#options).catch((error: Error) => this.#failed(error));
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    return this.#either(
      () => this.#shared.get(key),
      () => this.#local.get(key),
    );
  }

  async increment(key: string): Promise<IncrementResponse> {
    return this.#either(
      () => this.#shared.increment(key),
      () => this.#local.increment(key),
    );
  }

  async decrement(key: string): Promise<void> {
    return this.#either(
      () => this.#shared.decrement(key),
      () => this.#local.decrement(key),
    );
  }

  async resetKey(key: string): Promise<void> {
    return this.#either(
      () => this.#shared.resetKey(key),
      () => this.#local.resetKey(key),
    );
  }

  async #either<T>(shared: () => Promise<T>, local: () => Promise<T> | T): Promise<T> {
    try {
      return await shared();
    } catch (error) {
      this.#failed(error as Error);
      return local();
    }
  }
}
