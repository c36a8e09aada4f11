import {
  FINAL_ORDER_STATUSES,
  ORDER_STATUS_EVENT,
  type Order,
  type OrderStatus,
} from '@cheesecake/contracts';
import type { Logger, Queryable } from '@cheesecake/service-kit';
import {
  findLastStatusChangeId,
  findLatestStatusChange,
  listStatusChangesAfter,
  type StatusChange,
} from '../orders/order-event-store.js';
import type { EventStream } from './event-stream.js';
import type { StatusNotifications, StatusSubscriber } from './status-notifications.js';

/** What the status streams read from and listen to. */
export interface StatusStreamsDeps {
  db: Queryable;
  notifications: StatusNotifications;
  log: Logger;
}

/** How many status changes one read of the table takes. */
const PAGE_SIZE = 500;
/** How many ids the stream of every order remembers, to skip one it meets twice. */
const RECENT_IDS = 1_000;

/**
 * The status changes streams send: first what the table holds (the current status, or every
 * change after the client's last event), then each change as it is committed.
 */
export class StatusStreams {
  readonly #deps: StatusStreamsDeps;

  constructor(deps: StatusStreamsDeps) {
    this.#deps = deps;
  }

  /**
   * Follows one order: from its current status, or from the change after `afterId`; ends
   * once it has sent a final status, or at once when the order had one before `afterId`.
   */
  followOrder(order: Order, afterId: string | undefined): Promise<StatusStream> {
    return StatusStream.open(this.#deps, { orderId: order.id, status: order.status }, afterId);
  }

  /** Follows every order: from now on, or from the change after `afterId`; never ends by itself. */
  async followAllOrders(afterId: string | undefined): Promise<StatusStream> {
    return StatusStream.open(this.#deps, undefined, afterId);
  }
}

/**
 * One client's stream, subscribed to live changes before it reads the table so that nothing
 * committed in between is missed. What it takes from the table and what arrives live meet
 * in order and each once; live changes wait while the table is read.
 */
export class StatusStream implements StatusSubscriber {
  #stream: EventStream | undefined;
  /** Changes taken before there was a stream to send them to. */
  readonly #unsent: StatusChange[] = [];
  /** Live changes held back while the table is read. */
  #held: StatusChange[] | undefined;
  #pendingReads = 0;
  #reads: Promise<void> = Promise.resolve();
  /** The largest id taken so far. */
  #lastId: bigint;
  readonly #recentIds = new Set<string>();
  #unsubscribe: () => void = () => {};
  #stopped = false;
  /** The one order followed; undefined for every order. */
  readonly #orderId: string | undefined;
  /** The followed order's status as of the last change taken. */
  #status: OrderStatus | undefined;

  readonly #deps: StatusStreamsDeps;

  private constructor(
    deps: StatusStreamsDeps,
    order: { orderId: string; status: OrderStatus } | undefined,
    afterId: string,
  ) {
    this.#deps = deps;
    this.#orderId = order?.orderId;
    this.#status = order?.status;
    this.#lastId = BigInt(afterId);
  }

  static async open(
    deps: StatusStreamsDeps,
    order: { orderId: string; status: OrderStatus } | undefined,
    afterId: string | undefined,
  ): Promise<StatusStream> {
    const follow = new StatusStream(deps, order, afterId ?? '0');
    follow.#unsubscribe = await deps.notifications.subscribe(follow);
    try {
      await follow.#catchUp(async () => {
        if (afterId !== undefined) return follow.#takeChangesAfter(afterId);
        if (order) {
          const latest = await findLatestStatusChange(deps.db, order.orderId);
          if (latest) follow.#take(latest);
        } else {
          // "From now on": changes up to here are the past, and a re-read starts after them.
          follow.#lastId = BigInt(await findLastStatusChangeId(deps.db));
        }
      });
    } catch (error) {
      follow.#stop();
      throw error;
    }
    return follow;
  }

  /**
   * Whether there is nothing to stream: the order had reached a final status before the
   * client's last event and nothing was taken since. Such a client has seen everything.
   */
  get isOver(): boolean {
    return this.#unsent.length === 0 && this.#hasEnded();
  }

  /** Sends what was taken so far, then each change as it comes, until either side ends. */
  pipeTo(stream: EventStream): void {
    this.#stream = stream;
    stream.onClose(() => this.#stop());
    for (const change of this.#unsent.splice(0)) this.#send(change);
    if (this.#hasEnded()) this.#end();
  }

  /** Stops following without a stream, such as when {@link isOver}. */
  cancel(): void {
    this.#stop();
  }

  onChange(change: StatusChange): void {
    if (this.#orderId !== undefined && change.event.orderId !== this.#orderId) return;
    if (this.#held) this.#held.push(change);
    else this.#take(change);
  }

  onReconnect(): void {
    this.#catchUp(() => this.#takeChangesAfter(this.#lastId.toString())).catch((error: unknown) => {
      this.#deps.log.warn({ err: error }, 'catching up on order status changes failed');
      this.#end();
    });
  }

  /** Reads the table with `read` while live changes wait, then lets the waiting ones through. */
  #catchUp(read: () => Promise<void>): Promise<void> {
    this.#held ??= [];
    this.#pendingReads += 1;
    this.#reads = this.#reads.then(async () => {
      try {
        await read();
      } finally {
        this.#pendingReads -= 1;
      }
      if (this.#pendingReads > 0) return;
      const held = this.#held ?? [];
      this.#held = undefined;
      for (const change of held) this.#take(change);
    });
    return this.#reads;
  }

  async #takeChangesAfter(afterId: string): Promise<void> {
    let after = afterId;
    for (;;) {
      const page = await listStatusChangesAfter(this.#deps.db, {
        afterId: after,
        orderId: this.#orderId,
        limit: PAGE_SIZE,
      });
      for (const change of page) this.#take(change);
      const last = page.at(-1);
      if (!last || page.length < PAGE_SIZE || this.#stopped) return;
      after = last.id;
    }
  }

  /** Takes a change unless it was taken before, and sends it once there is a stream. */
  #take(change: StatusChange): void {
    if (this.#stopped || this.#seen(change)) return;
    const id = BigInt(change.id);
    if (id > this.#lastId) this.#lastId = id;
    this.#status = change.event.status;
    if (this.#stream) this.#send(change);
    else this.#unsent.push(change);
  }

  /**
   * One order's changes commit in id order, as each locks the order's row first, so the last
   * id is enough. Changes of different orders may commit out of id order: every order's
   * follow remembers the ids it took lately instead, never dropping a late commit.
   */
  #seen(change: StatusChange): boolean {
    if (this.#orderId !== undefined) return BigInt(change.id) <= this.#lastId;
    if (this.#recentIds.has(change.id)) return true;
    this.#recentIds.add(change.id);
    if (this.#recentIds.size > RECENT_IDS) {
      const [oldest] = this.#recentIds;
      if (oldest !== undefined) this.#recentIds.delete(oldest);
    }
    return false;
  }

  #send(change: StatusChange): void {
    this.#stream?.send({ id: change.id, event: ORDER_STATUS_EVENT, data: change.event });
    // A final status is the order's last change: the stream is complete once it is sent
    // (not merely taken, or a backlog would stop after its first change).
    if (this.#orderId !== undefined && FINAL_ORDER_STATUSES.includes(change.event.status)) {
      this.#end();
    }
  }

  /** Whether the followed order has reached a status it never leaves. */
  #hasEnded(): boolean {
    return (
      this.#orderId !== undefined &&
      this.#status !== undefined &&
      FINAL_ORDER_STATUSES.includes(this.#status)
    );
  }

  /** Ends the stream: the order has reached a final status, or the follow failed. */
  #end(): void {
    if (this.#stopped) return;
    this.#stop();
    this.#stream?.close();
  }

  #stop(): void {
    this.#stopped = true;
    this.#unsubscribe();
    this.#unsent.length = 0;
    this.#held = undefined;
  }
}
