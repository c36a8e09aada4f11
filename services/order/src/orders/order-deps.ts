import type { kitchenApi, Problem, paymentApi } from '@cheesecake/contracts';
import { type Client, type Database, UnexpectedResponseError } from '@cheesecake/service-kit';
import type { MenuCatalog } from '../menu/menu.js';
import type { SagaMetrics } from './saga-metrics.js';

/** What the order use cases work with. */
export interface OrderDeps {
  db: Database;
  menu: MenuCatalog;
  payments: Client<typeof paymentApi>;
  kitchen: Client<typeof kitchenApi>;
  /** The outbox relay, woken after a commit that enqueued a message so it goes out at once. */
  outbox: { wake(): void };
  /** Where the saga's durations are recorded. */
  sagaMetrics: SagaMetrics;
}

/** A service refused a request of ours: nothing the customer can change, answered as 502. */
export function refusedOurRequest(
  service: string,
  answer: { status: number; body: Problem },
): UnexpectedResponseError {
  return new UnexpectedResponseError(
    service,
    answer.status,
    `${answer.status} ${answer.body.detail ?? answer.body.title}`,
  );
}
