import { OrderStatusEvent } from '@cheesecake/contracts';
import type { BackgroundWorker, Database, Logger } from '@cheesecake/service-kit';
import { z } from 'zod';
import { ORDER_STATUS_CHANNEL, type StatusChange } from '../orders/order-event-store.js';

/** Someone in this process following status changes as they are committed. */
export interface StatusSubscriber {
  onChange(change: StatusChange): void;
  /** The listener lost its connection and has it back: what was notified meanwhile is lost. */
  onReconnect(): void;
}

const Notification = z.object({ id: z.string().regex(/^\d+$/), event: OrderStatusEvent });

/**
 * The status changes of every order, live: one LISTEN per process, whichever replica made
 * the change, fanned out to the streams this process serves.
 */
export class StatusNotifications implements BackgroundWorker {
  readonly #subscribers = new Set<StatusSubscriber>();
  #listening: Promise<() => Promise<void>> | undefined;

  readonly #deps: { db: Database; log: Logger };

  constructor(deps: { db: Database; log: Logger }) {
    this.#deps = deps;
  }

  /** Starts listening; subscribers wait until it does. */
  start(): void {
    this.#listening = this.#deps.db.listen(
      ORDER_STATUS_CHANNEL,
      (payload) => this.#dispatch(payload),
      () => {
        for (const subscriber of [...this.#subscribers]) subscriber.onReconnect();
      },
    );
    this.#listening.catch((error: unknown) => {
      this.#deps.log.error({ err: error }, 'listening for order status changes failed');
    });
  }

  /** Stops listening and drops every subscriber. */
  async stop(): Promise<void> {
    const listening = this.#listening;
    this.#listening = undefined;
    this.#subscribers.clear();
    const unlisten = await listening?.catch(() => undefined);
    await unlisten?.();
  }

  /**
   * Adds a subscriber, once listening, so that every change committed from now on reaches
   * it. Resolves to the function that removes it.
   */
  async subscribe(subscriber: StatusSubscriber): Promise<() => void> {
    if (!this.#listening) throw new Error('Live order status is not started');
    await this.#listening;
    this.#subscribers.add(subscriber);
    return () => {
      this.#subscribers.delete(subscriber);
    };
  }

  #dispatch(payload: string): void {
    let change: StatusChange;
    try {
      change = Notification.parse(JSON.parse(payload));
    } catch (error) {
      this.#deps.log.warn({ err: error, payload }, 'an order status notification that is not one');
      return;
    }
    for (const subscriber of [...this.#subscribers]) subscriber.onChange(change);
  }
}
