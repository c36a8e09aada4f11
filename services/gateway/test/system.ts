import type { IncomingHttpHeaders } from 'node:http';
import {
  type Contract,
  type Endpoint,
  kitchenApi,
  opsApi,
  orderApi,
  paymentApi,
} from '@cheesecake/contracts';
import { type Caller, type Handler, handle, type Logger } from '@cheesecake/service-kit';
import {
  type RunningServer,
  silentLogger,
  startStubService,
} from '@cheesecake/service-kit/testing';
import type { Express, Router } from 'express';
import { createApp, createLiveUpdates } from '../src/app.js';
import { loadGatewayConfig } from '../src/config.js';
import {
  createDownstreamPolicies,
  createDownstreams,
  type DownstreamPolicies,
} from '../src/downstreams.js';
import type { LiveUpdates } from '../src/live-updates.js';
import { createUserLimits } from '../src/user-limits.js';
import { demoUsers } from './samples.js';

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

/** The gateway in front of stubs of the order, payment and kitchen services. */
export interface TestSystem {
  gateway: Express;
  /** The WebSocket endpoint; attach it to a listening gateway to use it. */
  liveUpdates: LiveUpdates;
  /** The resilience policies of each service, shared by all of the gateway's calls to it. */
  policies: DownstreamPolicies;
  order: StubService;
  payment: StubService;
  kitchen: StubService;
  close(): Promise<void>;
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
  // One set of policies for every way the gateway calls a service, as in main.ts.
  const policies = createDownstreamPolicies(config);
  const deps = {
    config,
    log,
    downstreams: createDownstreams(config, policies),
    policies,
    users: await demoUsers(config.DEMO_PASSWORD),
    limits: createUserLimits(config),
  };
  const gateway = createApp(deps);
  return {
    gateway,
    liveUpdates: createLiveUpdates(deps),
    policies,
    order,
    payment,
    kitchen,
    close: async () => {
      await Promise.all([order.close(), payment.close(), kitchen.close()]);
    },
  };
}
