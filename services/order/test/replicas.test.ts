import { Order } from '@cheesecake/contracts';
import {
  type Database,
  FAULT_MIGRATIONS,
  OUTBOX_MIGRATIONS,
  openDatabase,
  runMigrations,
} from '@cheesecake/service-kit';
import {
  newTestDatabaseUrl,
  type RunningServer,
  silentLogger,
  startServer,
  testDatabaseEngine,
} from '@cheesecake/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_MIGRATIONS, ORDER_MIGRATIONS } from '../src/app.js';
import {
  asCustomer,
  createTestApp,
  getEventStream,
  type KitchenStub,
  newCustomerId,
  type PaymentStub,
  payOrder,
  placeOrder,
  reportTicket,
  startKitchenStub,
  startPaymentStub,
  storedOrder,
} from './support.js';

type Replica = ReturnType<typeof createTestApp> & { db: Database; server: RunningServer };

// Two replicas of the order service on one PostgreSQL database, as `--scale order=2` runs
// them; PGlite lives inside one process, so only a server can show this.
describe.runIf(testDatabaseEngine() === 'postgres')('two order-service replicas', () => {
  let payment: PaymentStub;
  let kitchen: KitchenStub;
  let replicas: [Replica, Replica];

  beforeAll(async () => {
    const url = await newTestDatabaseUrl('order');
    const log = silentLogger();
    payment = await startPaymentStub();
    kitchen = await startKitchenStub();
    const replica = async (): Promise<Replica> => {
      const db = await openDatabase({ url, dataDir: '', log });
      await runMigrations(
        db,
        [OUTBOX_MIGRATIONS, FAULT_MIGRATIONS, IDEMPOTENCY_MIGRATIONS, ORDER_MIGRATIONS],
        log,
      );
      const running = createTestApp(db, { paymentUrl: payment.url, kitchenUrl: kitchen.url });
      return { ...running, db, server: await startServer(running.app) };
    };
    replicas = await Promise.all([replica(), replica()]);
  });
  afterAll(async () => {
    for (const { server, statusNotifications, relay, db } of replicas) {
      await server.close();
      await relay.stop();
      await statusNotifications.stop();
      await db.close();
    }
    await Promise.all([payment.close(), kitchen.close()]);
  });

  it('streams a change to a customer on one replica that the other replica made', async () => {
    const [first, second] = replicas;
    const customer = newCustomerId();
    const placed = await placeOrder(first.app, customer);
    await payOrder(first.app, customer, placed.id, 'tok_visa');
    const stream = await getEventStream(`${second.server.url}/orders/${placed.id}/events`, {
      authorization: asCustomer(customer).for('GET', `/orders/${placed.id}/events`),
    });
    const current = await stream.next();

    await reportTicket(first.app, { orderId: placed.id, status: 'PREPARING' });
    const change = await stream.next();
    stream.disconnect();

    expect(current.data.status).toBe('PAID');
    expect(change.data).toMatchObject({ orderId: placed.id, status: 'PREPARING' });
  });

  it('delivers each ticket once while both relays work the one outbox at once', async () => {
    const orders = await Promise.all(
      Array.from({ length: 20 }, async (_, n) => {
        const { app } = replicas[n % 2] as Replica;
        const customer = newCustomerId();
        const placed = await placeOrder(app, customer);
        const paid = await payOrder(app, customer, placed.id, 'tok_visa');
        expect(paid.status).toBe(200);
        return Order.parse(paid.body);
      }),
    );

    const drain = async ({ relay }: Replica) => {
      while ((await relay.deliverDueMessages()) > 0) {}
    };
    await Promise.all(replicas.map(drain));

    const ticketsPerOrder = orders.map(
      (order) => kitchen.tickets.filter((ticket) => ticket.body.orderId === order.id).length,
    );
    expect(ticketsPerOrder).toEqual(orders.map(() => 1));
    for (const order of orders) {
      expect((await storedOrder(replicas[0].db, order.id)).status).toBe('PAID');
    }
  });
});
