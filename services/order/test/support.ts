import {
  kitchenApi,
  Order,
  type OrderStatus,
  type PaymentMethod,
  paymentApi,
  type TicketStatus,
} from '@cheesecake/contracts';
import {
  createServiceClient,
  type Database,
  IDEMPOTENCY_MIGRATIONS,
  newId,
  OUTBOX_MIGRATIONS,
  OutboxRelay,
} from '@cheesecake/service-kit';
import {
  GENEROUS_TIMEOUT_MS,
  internalCredential,
  openTestDatabase,
  silentLogger,
  TEST_INTERNAL_SECRET,
} from '@cheesecake/service-kit/testing';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../src/app.js';
import { createDeliverers } from '../src/deliverers.js';
import { LiveOrderStatus } from '../src/live-status.js';
import { findOrder, ORDER_MIGRATIONS } from '../src/order-store.js';

const log = silentLogger();

/** A fresh in-memory database with the order service's schema and menu. */
export const openOrderDatabase = () =>
  openTestDatabase([OUTBOX_MIGRATIONS, IDEMPOTENCY_MIGRATIONS, ORDER_MIGRATIONS]);

/** Nothing listens on port 1, so a call there fails at once; for tests that call no downstream. */
const NO_SERVICE = 'http://127.0.0.1:1';

/** Where the service's downstreams are, and its budget for each call to them. */
export interface Downstreams {
  paymentUrl?: string;
  kitchenUrl?: string;
  /** Generous by default: a loaded machine must never turn a held or slow stub into a timeout. */
  timeoutMs?: number;
}

/** The typed clients the service uses, pointed at stub servers. */
export function downstreamClients(urls: Downstreams = {}) {
  const timeoutMs = urls.timeoutMs ?? GENEROUS_TIMEOUT_MS;
  const fromOrder = { from: 'order', secret: TEST_INTERNAL_SECRET, timeoutMs };
  return {
    payments: createServiceClient(paymentApi, {
      ...fromOrder,
      to: 'payment',
      baseUrl: urls.paymentUrl ?? NO_SERVICE,
    }),
    kitchen: createServiceClient(kitchenApi, {
      ...fromOrder,
      to: 'kitchen',
      baseUrl: urls.kitchenUrl ?? NO_SERVICE,
    }),
  };
}

/**
 * The app under test with a real outbox relay that tests run by hand (`deliverDueMessages`),
 * and live status listening on the test's database.
 */
export function createTestApp(
  db: Database,
  urls: Downstreams = {},
): { app: Express; relay: OutboxRelay; liveStatus: LiveOrderStatus } {
  const clients = downstreamClients(urls);
  const relay = new OutboxRelay({ db, log, deliverers: createDeliverers({ ...clients, db }) });
  const liveStatus = new LiveOrderStatus({ db, log });
  liveStatus.start();
  const app = createApp({
    db,
    log,
    ...clients,
    outbox: relay,
    liveStatus,
    internalTokenSecret: TEST_INTERNAL_SECRET,
    bodyLimit: '100kb',
  });
  return { app, relay, liveStatus };
}

/** Runs the relay until no message is due, as its polling would. */
export async function deliverDueMessages(relay: OutboxRelay): Promise<void> {
  while ((await relay.deliverDueMessages()) > 0) {}
}

/** A customer id no other test uses, so lists see only this test's orders. */
export const newCustomerId = () => newId('usr');

/** The gateway's credential for a customer. */
export const asCustomer = (id: string) =>
  internalCredential({ issuer: 'gateway', audience: 'order', user: { id, role: 'customer' } });

/** The gateway's credential for kitchen staff or an admin. */
export const asStaff = (role: 'kitchen' | 'admin') =>
  internalCredential({
    issuer: 'gateway',
    audience: 'order',
    user: { id: `usr_${role}`, role },
  });

/** A peer service's credential, with no end user. */
export const asService = (issuer: string) => internalCredential({ issuer, audience: 'order' });

export const ONE_CHEESECAKE = { items: [{ menuItemId: 'new-york-cheesecake', quantity: 1 }] };

/** Places an order through the API and returns it. */
export async function placeOrder(
  app: Express,
  customerId: string,
  body: unknown = ONE_CHEESECAKE,
): Promise<Order> {
  const res = await request(app)
    .post('/orders')
    .use(asCustomer(customerId))
    .send(body as object);
  if (res.status !== 201) throw new Error(`placing an order answered ${res.status}`);
  return Order.parse(res.body);
}

export async function payOrder(
  app: Express,
  customerId: string,
  orderId: string,
  paymentMethod: PaymentMethod = 'tok_visa',
): Promise<request.Response> {
  return request(app)
    .post(`/orders/${orderId}/payment`)
    .use(asCustomer(customerId))
    .send({ paymentMethod });
}

export async function cancelOrder(
  app: Express,
  customerId: string,
  orderId: string,
): Promise<request.Response> {
  return request(app).post(`/orders/${orderId}/cancel`).use(asCustomer(customerId));
}

/** Sends the kitchen's report of a ticket status, as its outbox would. */
export async function reportTicket(
  app: Express,
  report: { orderId: string; status: TicketStatus; ticketId?: string; reason?: string },
): Promise<request.Response> {
  return request(app)
    .post('/ticket-status-reports')
    .use(asService('kitchen'))
    .send({
      ticketId: report.ticketId ?? 'tkt_1',
      orderId: report.orderId,
      status: report.status,
      reason: report.reason ?? null,
      occurredAt: new Date().toISOString(),
    });
}

/** The order as stored. */
export async function storedOrder(db: Database, orderId: string): Promise<Order> {
  const order = await findOrder(db, orderId);
  if (!order) throw new Error(`order ${orderId} is not stored`);
  return order;
}

/** Moves an order to a status directly, to arrange a test. */
export async function forceStatus(db: Database, orderId: string, status: OrderStatus) {
  await db.query('update orders set status = $2 where id = $1', [orderId, status]);
}

/** The outbox messages about an order, oldest first. */
export async function outboxMessages(db: Database, orderId: string) {
  return db.query<{ destination: string; payload: unknown; status: string; request_id: string }>(
    `select destination, payload, status, request_id from outbox
     where payload ->> 'orderId' = $1 order by created_at, id`,
    [orderId],
  );
}
