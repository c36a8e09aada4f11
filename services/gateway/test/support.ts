import type { IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import {
  type Contract,
  type Endpoint,
  kitchenApi,
  type Menu,
  type Order,
  opsApi,
  orderApi,
  type Payment,
  paymentApi,
  type Ticket,
} from '@cheesecake/contracts';
import {
  type Caller,
  type Handler,
  handle,
  type Logger,
  ServiceMetrics,
} from '@cheesecake/service-kit';
import {
  type RunningServer,
  silentLogger,
  startServer,
  startStubService,
} from '@cheesecake/service-kit/testing';
import type { Express, Router } from 'express';
import request from 'supertest';
import { expect } from 'vitest';
import { createApp, createLiveUpdates } from '../src/app.js';
import { DemoUsers } from '../src/auth/users.js';
import { type GatewayConfig, loadGatewayConfig } from '../src/config.js';
import { createDownstreams, type Downstreams } from '../src/downstream/downstreams.js';
import { LocalCounts } from '../src/edge/rate-limit-counts.js';
import { createUserLimits } from '../src/edge/user-limits.js';
import type { LiveUpdates } from '../src/live/live-updates.js';

const CREATED_AT = '2025-01-02T12:00:00.000Z';

export function anOrder(overrides: Partial<Order> = {}): Order {
  return {
    id: 'ord_1',
    number: 101,
    customerId: 'usr_alice',
    status: 'PENDING_PAYMENT',
    items: [
      {
        menuItemId: 'new-york-cheesecake',
        name: 'New York cheesecake',
        quantity: 2,
        unitPriceCents: 650,
        lineTotalCents: 1300,
      },
    ],
    totalCents: 1300,
    currency: 'USD',
    notes: null,
    paymentId: null,
    ticketId: null,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    ...overrides,
  };
}

export function aPayment(overrides: Partial<Payment> = {}): Payment {
  return {
    id: 'pay_1',
    orderId: 'ord_1',
    amountCents: 1300,
    currency: 'USD',
    status: 'CAPTURED',
    declineCode: null,
    createdAt: CREATED_AT,
    refundedAt: null,
    ...overrides,
  };
}

export function aTicket(overrides: Partial<Ticket> = {}): Ticket {
  return {
    id: 'tkt_1',
    orderId: 'ord_1',
    orderNumber: 101,
    status: 'QUEUED',
    items: [{ menuItemId: 'new-york-cheesecake', name: 'New York cheesecake', quantity: 2 }],
    notes: null,
    rejectionReason: null,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    ...overrides,
  };
}

export function aMenu(overrides: Partial<Menu['items'][number]> = {}): Menu {
  return {
    items: [
      {
        id: 'new-york-cheesecake',
        name: 'New York cheesecake',
        description: 'Dense, creamy, on a graham cracker crust',
        priceCents: 650,
        currency: 'USD',
        available: true,
        ...overrides,
      },
    ],
  };
}

/** Signs in through the gateway and returns the `Authorization` header value. */
export async function signIn(gateway: Express, username: string): Promise<string> {
  return `Bearer ${await accessTokenOf(gateway, username)}`;
}

/** The access token a demo user signs in for, as a WebSocket handshake or `Authorization` carries it. */
export async function accessTokenOf(gateway: Express, username: string): Promise<string> {
  const res = await request(gateway)
    .post('/api/auth/token')
    .send({ username, password: 'cheesecake' });
  expect(res.status).toBe(200);
  return res.body.access_token;
}

const demoUsersByPassword = new Map<string, Promise<DemoUsers>>();

/**
 * The demo users with `password`, hashed once per test worker: hashing is slow on purpose,
 * and every test builds a gateway of its own.
 */
export function demoUsers(password: string): Promise<DemoUsers> {
  let users = demoUsersByPassword.get(password);
  if (!users) {
    users = DemoUsers.create(password);
    demoUsersByPassword.set(password, users);
  }
  return users;
}

/** Handlers of a stub service, one per endpoint record it should answer. */
export type StubHandlers<C extends Contract> = { [K in keyof C]?: Handler<C[K]> };

/** A call a stub service received, once its internal credential was verified. */
export interface ReceivedCall {
  endpoint: string;
  caller: Caller;
  requestId: string;
  request: unknown;
  /** The headers exactly as the stub received them. */
  headers: IncomingHttpHeaders;
}

/** A stand-in for a service behind the gateway, listening on a real port. */
export interface StubService extends RunningServer {
  calls: ReceivedCall[];
}

/**
 * Starts a stub service that, like the real one, refuses calls without its internal
 * credential and validates each request with the service's own endpoint records.
 */
async function startStub<C extends Contract>(
  service: string,
  contract: C,
  handlers: StubHandlers<C>,
  rawRoutes: (router: Router) => void = () => {},
  ops: StubHandlers<typeof opsApi> = {},
): Promise<StubService> {
  const calls: ReceivedCall[] = [];
  const mount = <K extends Contract>(router: Router, records: K, answers: StubHandlers<K>) => {
    for (const [name, handler] of Object.entries(answers) as [string, Handler<Endpoint>][]) {
      handle(router, records[name] as Endpoint, async (request, context) => {
        calls.push({
          endpoint: name,
          caller: context.caller,
          requestId: context.requestId,
          request,
          headers: context.req.headers,
        });
        return handler(request, context);
      });
    }
  };
  const server = await startStubService(service, (router) => {
    rawRoutes(router);
    mount(router, contract, handlers);
    mount(router, opsApi, ops);
  });
  return { ...server, calls };
}

/** A folder with no web client built into it, for the tests that are not about the page. */
const NO_WEB_CLIENT = fileURLToPath(new URL('./no-web-client', import.meta.url));

/** What `createApp` is built from, as main.ts makes it: one set of policies per service. */
export async function gatewayDeps(
  config: GatewayConfig,
  log: Logger = silentLogger(),
  webClientDir: string = NO_WEB_CLIENT,
) {
  const metrics = new ServiceMetrics();
  return {
    config,
    log,
    downstreams: createDownstreams(config, { log, observer: metrics }),
    metrics,
    users: await demoUsers(config.DEMO_PASSWORD),
    limits: createUserLimits(config, new LocalCounts()),
    webClientDir,
  };
}

/** The gateway in front of stubs of the order, payment and kitchen services. */
export interface TestSystem {
  gateway: Express;
  /** The WebSocket endpoint; attach it to a listening gateway to use it. */
  liveUpdates: LiveUpdates;
  /** The services behind the gateway, each with the policies all of the gateway's calls to it share. */
  downstreams: Downstreams;
  order: StubService;
  payment: StubService;
  kitchen: StubService;
  close(): Promise<void>;
}

/**
 * The gateway of `system` listening on a free port with its WebSocket endpoint attached;
 * `close` ends the WebSockets, the server and the stubs.
 */
export async function listenWithWebSockets(system: TestSystem): Promise<RunningServer> {
  const gateway = await startServer(system.gateway);
  gateway.server.on('upgrade', system.liveUpdates.handleUpgrade);
  return {
    ...gateway,
    close: async () => {
      system.liveUpdates.close();
      await gateway.close();
      await system.close();
    },
  };
}

/** Starts the three stubs with the given handlers and builds the gateway in front of them. */
export async function startSystem(
  handlers: {
    order?: StubHandlers<typeof orderApi>;
    payment?: StubHandlers<typeof paymentApi>;
    kitchen?: StubHandlers<typeof kitchenApi>;
    /** Routes of the order stub written by hand, such as event streams. */
    orderStreams?: (router: Router) => void;
    /** The operations API (`/ops/...`) each of the three stubs answers. */
    ops?: StubHandlers<typeof opsApi>;
  } = {},
  env: Record<string, string> = {},
  /** Where the gateway logs; nowhere by default. */
  log: Logger = silentLogger(),
  /** The folder of the web client the gateway serves; one without a client by default. */
  webClientDir: string = NO_WEB_CLIENT,
): Promise<TestSystem> {
  const { ops } = handlers;
  const order = await startStub(
    'order',
    orderApi,
    handlers.order ?? {},
    handlers.orderStreams,
    ops,
  );
  const payment = await startStub('payment', paymentApi, handlers.payment ?? {}, undefined, ops);
  const kitchen = await startStub('kitchen', kitchenApi, handlers.kitchen ?? {}, undefined, ops);
  const config = loadGatewayConfig({
    LOG_LEVEL: 'silent',
    ORDER_SERVICE_URL: order.url,
    PAYMENT_SERVICE_URL: payment.url,
    KITCHEN_SERVICE_URL: kitchen.url,
    ...env,
  });
  const deps = await gatewayDeps(config, log, webClientDir);
  const gateway = createApp(deps);
  return {
    gateway,
    liveUpdates: createLiveUpdates(deps),
    downstreams: deps.downstreams,
    order,
    payment,
    kitchen,
    close: async () => {
      await Promise.all([order.close(), payment.close(), kitchen.close()]);
    },
  };
}
