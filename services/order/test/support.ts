import {
  type ChargeRequest,
  type CreateTicketRequest,
  kitchenApi,
  Order,
  type OrderStatus,
  OrderStatusEvent,
  type Payment,
  type PaymentMethod,
  paymentApi,
  problemTypes,
  type Ticket,
  type TicketStatus,
} from '@cheesecake/contracts';
import {
  type Caller,
  type Database,
  Downstream,
  DownstreamPolicy,
  FAULT_MIGRATIONS,
  handle,
  newId,
  OUTBOX_MIGRATIONS,
  OutboxRelay,
  ProblemError,
  requireService,
} from '@cheesecake/service-kit';
import {
  failingUrl,
  GENEROUS_TIMEOUT_MS,
  internalCredential,
  openTestDatabase,
  type RunningServer,
  silentLogger,
  startStubService,
  TEST_INTERNAL_SECRET,
  type TestResponse,
  useFixture,
} from '@cheesecake/service-kit/testing';
import type { Express } from 'express';
import request from 'supertest';
import { createApp, IDEMPOTENCY_MIGRATIONS, ORDER_MIGRATIONS } from '../src/app.js';
import { StatusNotifications } from '../src/live/status-notifications.js';
import { createDeliverers } from '../src/orders/deliverers.js';
import { findOrder } from '../src/orders/order-store.js';

const log = silentLogger();

/** A fresh in-memory database with the order service's schema and menu. */
export const openOrderDatabase = () =>
  openTestDatabase([OUTBOX_MIGRATIONS, FAULT_MIGRATIONS, IDEMPOTENCY_MIGRATIONS, ORDER_MIGRATIONS]);

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
  const downstream = (to: string, baseUrl = NO_SERVICE) =>
    new Downstream({
      from: 'order',
      to,
      baseUrl,
      secret: TEST_INTERNAL_SECRET,
      policy: new DownstreamPolicy({ service: to, timeoutMs }),
    });
  return {
    payments: downstream('payment', urls.paymentUrl).client(paymentApi),
    kitchen: downstream('kitchen', urls.kitchenUrl).client(kitchenApi),
  };
}

/**
 * The app under test with a real outbox relay that tests run by hand (`deliverDueMessages`),
 * and live status listening on the test's database.
 */
export function createTestApp(
  db: Database,
  urls: Downstreams = {},
): { app: Express; relay: OutboxRelay; statusNotifications: StatusNotifications } {
  const clients = downstreamClients(urls);
  const relay = new OutboxRelay({ db, log, deliverers: createDeliverers({ ...clients, db }) });
  const statusNotifications = new StatusNotifications({ db, log });
  statusNotifications.start();
  const app = createApp({
    db,
    log,
    ...clients,
    outbox: relay,
    statusNotifications,
    internalTokenSecret: TEST_INTERNAL_SECRET,
    bodyLimit: '100kb',
  });
  return { app, relay, statusNotifications };
}

/** The stub services that an order service under test calls; a downstream left out is unreachable. */
export interface StubbedDownstreams {
  payment?: true | PaymentStubOptions;
  /** The test may change the behaviour between two requests: the stub reads it on each. */
  kitchen?: true | KitchenBehaviour;
}

/** The order service under test, its database and the stubs it calls, as `useOrderService` fills them in. */
export interface OrderService<Stubs extends StubbedDownstreams = StubbedDownstreams> {
  db: Database;
  app: Express;
  relay: OutboxRelay;
  statusNotifications: StatusNotifications;
  payment: Stubs extends { payment: true | object } ? PaymentStub : undefined;
  kitchen: Stubs extends { kitchen: true | object } ? KitchenStub : undefined;
}

/** An order service for the tests of this file (or describe block): built before they run, closed after. */
export function useOrderService<Stubs extends StubbedDownstreams = StubbedDownstreams>(
  stubs: Stubs = {} as Stubs,
): OrderService<Stubs> {
  return useFixture(
    async () => {
      const db = await openOrderDatabase();
      const payment = stubs.payment && (await startPaymentStub(optionsOf(stubs.payment)));
      const kitchen = stubs.kitchen && (await startKitchenStub(optionsOf(stubs.kitchen)));
      const running = createTestApp(db, { paymentUrl: payment?.url, kitchenUrl: kitchen?.url });
      return { db, payment, kitchen, ...running } as OrderService<Stubs>;
    },
    async (service) => {
      await service.statusNotifications.stop();
      await Promise.all([service.payment?.close(), service.kitchen?.close()]);
      await service.db.close();
    },
  );
}

const optionsOf = <Options extends object>(wanted: true | Options) =>
  wanted === true ? undefined : wanted;

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

/** A payment service on a real port: the charge and refund rules of its contract, in memory. */
export interface PaymentStub extends RunningServer {
  payments: Payment[];
  charges: Array<{ idempotencyKey: string; body: ChargeRequest; caller: Caller }>;
  refunds: string[];
}

/** How the payment stub behaves beyond its contract's rules. */
export interface PaymentStubOptions {
  /** Runs on each charge before the stub answers it, to hold or inspect it. */
  beforeAnswer?: (charge: ChargeRequest) => Promise<void>;
}

export async function startPaymentStub(options: PaymentStubOptions = {}): Promise<PaymentStub> {
  const payments: Payment[] = [];
  const charges: PaymentStub['charges'] = [];
  const refunds: string[] = [];
  const keys = new Map<string, { fingerprint: string; payment: Payment }>();

  const server = await startStubService('payment', (router) => {
    handle(router, paymentApi.charge, async ({ headers, body }, { caller }) => {
      requireService(caller, ['order']);
      const idempotencyKey = headers['idempotency-key'];
      charges.push({ idempotencyKey, body, caller });
      await options.beforeAnswer?.(body);

      const fingerprint = JSON.stringify(body);
      const earlier = keys.get(idempotencyKey);
      if (earlier) {
        if (earlier.fingerprint !== fingerprint) {
          throw new ProblemError(problemTypes.idempotencyKeyReused, 'another body under this key');
        }
        return { status: 200, body: earlier.payment };
      }
      const captured = payments.find((p) => p.orderId === body.orderId && p.status !== 'DECLINED');
      if (captured) return { status: 200, body: captured };

      const declineCode =
        body.paymentMethod === 'tok_chargeDeclined'
          ? 'card_declined'
          : body.paymentMethod === 'tok_insufficientFunds'
            ? 'insufficient_funds'
            : null;
      const payment: Payment = {
        id: newId('pay'),
        orderId: body.orderId,
        amountCents: body.amountCents,
        currency: body.currency,
        status: declineCode ? 'DECLINED' : 'CAPTURED',
        declineCode,
        createdAt: new Date().toISOString(),
        refundedAt: null,
      };
      payments.push(payment);
      keys.set(idempotencyKey, { fingerprint, payment });
      return { status: 201, body: payment };
    });

    handle(router, paymentApi.listPayments, async ({ query }) => ({
      status: 200,
      body: { items: payments.filter((p) => p.orderId === query.orderId) },
    }));

    handle(router, paymentApi.refundPayment, async ({ params }, { caller }) => {
      requireService(caller, ['order']);
      const payment = payments.find((p) => p.id === params.paymentId);
      if (!payment) throw new ProblemError(problemTypes.paymentNotFound, 'no such payment');
      if (payment.status === 'DECLINED') {
        throw new ProblemError(problemTypes.invalidPaymentState, 'a declined payment');
      }
      refunds.push(payment.id);
      if (payment.status === 'CAPTURED') {
        payment.status = 'REFUNDED';
        payment.refundedAt = new Date().toISOString();
      }
      return { status: 200, body: payment };
    });
  });
  return { ...server, payments, charges, refunds };
}

/** How the kitchen stub answers a new ticket and a cancellation. */
export interface KitchenBehaviour {
  /** `accept` answers 201 (200 for a repeat), `refuse` a 400 problem, `fail` a 500. */
  createTicket?: 'accept' | 'refuse' | 'fail';
  /** `cancel` answers 200 with a cancelled ticket, `refuse` 409 as once preparation has started. */
  cancelTicket?: 'cancel' | 'refuse';
}

/**
 * A kitchen service on a real port that records the tickets and cancellations it receives.
 * It reads its behaviour on every request, so a test may change it between two.
 */
export interface KitchenStub extends RunningServer {
  tickets: Array<{ body: CreateTicketRequest; requestId: string; caller: Caller }>;
  cancellations: Array<{ orderId: string; orderNumber: number; caller: Caller }>;
  /** The ticket it created for each order, by order id. */
  created: Map<string, Ticket>;
}

export async function startKitchenStub(behaviour: KitchenBehaviour = {}): Promise<KitchenStub> {
  const tickets: KitchenStub['tickets'] = [];
  const cancellations: KitchenStub['cancellations'] = [];
  const created = new Map<string, Ticket>();

  const server = await startStubService('kitchen', (router) => {
    handle(router, kitchenApi.createTicket, async ({ body }, { caller, requestId }) => {
      requireService(caller, ['order']);
      tickets.push({ body, requestId, caller });
      if (behaviour.createTicket === 'refuse') {
        throw new ProblemError(problemTypes.validation, 'the stub refuses this ticket');
      }
      if (behaviour.createTicket === 'fail') throw new Error('the stub kitchen is on fire');
      const existing = created.get(body.orderId);
      if (existing) return { status: 200, body: existing };
      const ticket = ticketFor(body.orderId, body.orderNumber, 'QUEUED', body);
      created.set(body.orderId, ticket);
      return { status: 201, body: ticket };
    });

    handle(router, kitchenApi.cancelTicketForOrder, async ({ params, body }, { caller }) => {
      requireService(caller, ['order']);
      cancellations.push({ orderId: params.orderId, orderNumber: body.orderNumber, caller });
      if (behaviour.cancelTicket === 'refuse') {
        throw new ProblemError(problemTypes.invalidTicketState, 'preparation has started');
      }
      return { status: 200, body: ticketFor(params.orderId, body.orderNumber, 'CANCELLED') };
    });
  });
  return { ...server, tickets, cancellations, created };
}

function ticketFor(
  orderId: string,
  orderNumber: number,
  status: Ticket['status'],
  request?: CreateTicketRequest,
): Ticket {
  const now = new Date().toISOString();
  return {
    id: newId('tkt'),
    orderId,
    orderNumber,
    status,
    items: request?.items ?? [],
    notes: request?.notes ?? null,
    rejectionReason: null,
    createdAt: now,
    updatedAt: now,
  };
}

/** A URL nothing listens on, so a call there is refused. */
export async function unreachableUrl(): Promise<string> {
  return (await failingUrl('refused', 'nothing')).url;
}

/** One server-sent event as a client receives it, its data parsed with the contract. */
export interface ReceivedEvent {
  id: string | undefined;
  event: string | undefined;
  data: OrderStatusEvent;
}

/** A `GET` of an event-stream route on a real server, read as it arrives. */
export interface StreamAnswer extends TestResponse {
  /** The next event; rejects if the stream ends first. */
  next(): Promise<ReceivedEvent>;
  /** The next event of one of these orders, skipping the others'. */
  nextOf(orderIds: string[]): Promise<ReceivedEvent>;
  /** Every event still to come, once the server has ended the stream. */
  rest(): Promise<ReceivedEvent[]>;
  /** Leaves, as a client closing its EventSource. */
  disconnect(): void;
}

/**
 * Opens an event stream the way an EventSource does, resolving once the answer's headers
 * arrive. An answer that is not a stream (a problem) is read whole into `body`.
 */
export async function getEventStream(
  url: string,
  headers: Record<string, string>,
): Promise<StreamAnswer> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const answer = {
    status: res.status,
    headers: Object.fromEntries(res.headers),
  };
  if (res.status === 204) {
    return { ...answer, body: undefined, ...noMoreEvents() };
  }
  if (!res.headers.get('content-type')?.startsWith('text/event-stream') || !res.body) {
    return { ...answer, body: await res.json(), ...notAStream() };
  }

  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  let ended = false;
  const received: ReceivedEvent[] = [];
  const readEvent = async (): Promise<ReceivedEvent | undefined> => {
    for (;;) {
      const event = received.shift();
      if (event) return event;
      if (ended) return undefined;
      const chunk = await reader.read();
      if (chunk.done) {
        ended = true;
        continue;
      }
      buffered += chunk.value;
      const frames = buffered.split('\n\n');
      buffered = frames.pop() ?? '';
      received.push(...frames.flatMap(parseFrame));
    }
  };
  const next = async () => {
    const event = await readEvent();
    if (!event) throw new Error('the stream ended');
    return event;
  };
  return {
    ...answer,
    body: undefined,
    next,
    nextOf: async (orderIds) => {
      for (;;) {
        const event = await next();
        if (orderIds.includes(event.data.orderId)) return event;
      }
    },
    rest: async () => {
      const rest: ReceivedEvent[] = [];
      for (let event = await readEvent(); event; event = await readEvent()) rest.push(event);
      return rest;
    },
    disconnect: () => abort.abort(),
  };
}

/** A frame's event, if it is one: comments (`: keep-alive`) and `retry:` alone are not. */
function parseFrame(frame: string): ReceivedEvent[] {
  const fields = new Map<string, string>();
  for (const line of frame.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.set(line.slice(0, colon), line.slice(colon + 1).replace(/^ /, ''));
  }
  const data = fields.get('data');
  if (data === undefined) return [];
  return [
    {
      id: fields.get('id'),
      event: fields.get('event'),
      data: OrderStatusEvent.parse(JSON.parse(data)),
    },
  ];
}

function notAStream(): Pick<StreamAnswer, 'next' | 'nextOf' | 'rest' | 'disconnect'> {
  const refuse = () => Promise.reject(new Error('the answer is not an event stream'));
  return { next: refuse, nextOf: refuse, rest: refuse, disconnect: () => {} };
}

/** A 204: the stream is over before it began. */
function noMoreEvents(): Pick<StreamAnswer, 'next' | 'nextOf' | 'rest' | 'disconnect'> {
  const ended = () => Promise.reject(new Error('the stream ended'));
  return { next: ended, nextOf: ended, rest: async () => [], disconnect: () => {} };
}
