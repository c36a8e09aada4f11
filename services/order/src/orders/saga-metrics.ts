import { OrderStatus } from '@cheesecake/contracts';
import type { Database, Histogram, Logger, ServiceMetrics } from '@cheesecake/service-kit';
import { countOrdersByStatus } from './order-store.js';

/** The saga's own numbers at `/metrics`: orders by status, and how long paid orders take to be READY. */
export class SagaMetrics {
  readonly #paidToReady: Histogram;

  constructor(metrics: ServiceMetrics, db: Database, log: Logger) {
    metrics.gaugeOnScrape(
      { name: 'orders', help: 'Orders in each status', labelNames: ['status'] },
      log,
      async (gauge) => {
        const counts = await countOrdersByStatus(db);
        for (const status of OrderStatus.options) {
          gauge.set({ status }, counts.find((each) => each.status === status)?.count ?? 0);
        }
      },
    );
    this.#paidToReady = metrics.histogram({
      name: 'order_paid_to_ready_seconds',
      help: 'Time from an order payment being captured to the kitchen reporting the order READY',
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
    });
  }

  /** Records that an order whose payment was captured at `paidAt` is READY now. */
  orderReady(paidAt: Date): void {
    this.#paidToReady.observe(Math.max(0, (Date.now() - paidAt.getTime()) / 1_000));
  }
}
