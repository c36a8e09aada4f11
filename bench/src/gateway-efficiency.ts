import { signInternalToken } from '@cheesecake/service-kit';
import autocannon from 'autocannon';
import { expectCall, signIn } from './api.js';
import {
  INTERNAL_TOKEN_SECRET,
  type Stack,
  type StartedProcess,
  startOtlpReceiver,
  startReferenceGateway,
} from './processes.js';
import { median } from './stats.js';
import { measureTarget, printRun, type TargetRun } from './target-run.js';

/** The ways the same list of orders is fetched. */
export const TARGETS = ['direct', 'gateway', 'traced', 'untraced', 'peer'] as const;
export type TargetName = (typeof TARGETS)[number];

/** What each target is, in the report's words. */
export const TARGET_DESCRIPTIONS: Record<TargetName, string> = {
  direct: 'GET /orders?limit=10 straight to the order service, with an internal credential',
  gateway:
    "GET /api/orders?limit=10 through the gateway, with alice's access token, every edge feature on",
  traced:
    'the same through a second gateway with tracing on: every request sampled, its spans exported over OTLP/HTTP (protobuf) to a receiver on loopback',
  untraced:
    'the same through a third gateway with the OpenTelemetry SDK off (`OTEL_SDK_DISABLED=true`): no spans, no trace context',
  peer: 'GET /api/orders?limit=10 through the reference gateway (express + http-proxy-middleware, keep-alive agent)',
};

/** Every target measured once, one after another. */
export type Round = Record<TargetName, TargetRun>;

/** The medians over the valid runs of one target. */
export interface TargetSummary {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  proxyCpuMs: number;
  orderCpuMs: number;
  validRuns: number;
}

/** Everything the gateway efficiency benchmark found. */
export interface EfficiencyResult {
  rounds: Round[];
  summary: Record<TargetName, TargetSummary>;
  /** Median gateway req/s over median direct req/s. */
  gatewayRatio: number;
  /** Median peer req/s over median direct req/s. */
  peerRatio: number;
  /** True when every run of every round was valid. */
  valid: boolean;
}

/** How long, how hard and how often to measure. */
export interface EfficiencyOptions {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
}

const ORDERS_TO_LIST = 10;
/** Unmeasured load through the gateway (and so the order service) before the first round. */
export const INITIAL_WARMUP_SECONDS = 5;
const ALICE = { id: 'usr_alice', role: 'customer' } as const;

/** Everything one round measures against, set up once. */
interface Targets {
  stack: Stack;
  alice: string;
  tracedGateway: StartedProcess;
  untracedGateway: StartedProcess;
  receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
}

/**
 * The gateway's cost per request: alice's ten latest orders fetched straight from the order
 * service, through the gateway and through the reference gateway, in turn, round after round.
 */
export async function measureGatewayEfficiency(
  stack: Stack,
  options: EfficiencyOptions,
): Promise<EfficiencyResult> {
  const alice = await signIn(stack.urls.gateway, 'alice');
  for (let i = 0; i < ORDERS_TO_LIST; i++) {
    await expectCall(201, `${stack.urls.gateway}/api/orders`, {
      method: 'POST',
      token: alice,
      body: { items: [{ menuItemId: 'new-york-cheesecake', quantity: 1 }] },
    });
  }
  const receiver = await startOtlpReceiver();
  const targets: Targets = {
    stack,
    alice,
    receiver,
    tracedGateway: await stack.startGateway({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_TRACES_SAMPLER: 'always_on',
    }),
    untracedGateway: await stack.startGateway({ OTEL_SDK_DISABLED: 'true' }),
  };
  // The first measurement would otherwise pay for the processes compiling their hot code.
  for (const gatewayUrl of [
    stack.urls.gateway,
    targets.tracedGateway.url,
    targets.untracedGateway.url,
  ]) {
    await autocannon({
      url: `${gatewayUrl}/api/orders?limit=${ORDERS_TO_LIST}`,
      headers: { authorization: `Bearer ${alice}` },
      connections: options.connections,
      duration: INITIAL_WARMUP_SECONDS,
    });
  }

  const rounds: Round[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    rounds.push(await measureRound(round, targets, options));
  }
  await Promise.all([targets.tracedGateway.stop(), targets.untracedGateway.stop()]);
  await receiver.close();
  return summarize(rounds);
}

/** Measures each target once, in turn. */
async function measureRound(
  round: number,
  targets: Targets,
  options: EfficiencyOptions,
): Promise<Round> {
  const { stack, alice, tracedGateway, untracedGateway, receiver } = targets;
  const load = { ...options, expectedOrders: ORDERS_TO_LIST };
  const order = stack.process('order');
  const page = `/api/orders?limit=${ORDERS_TO_LIST}`;
  const asAlice = `Bearer ${alice}`;
  const through = (proxy: StartedProcess) =>
    measureTarget(`${proxy.url}${page}`, asAlice, load, { proxy, order });

  const direct = await measureTarget(
    `${stack.urls.order}/orders?limit=${ORDERS_TO_LIST}`,
    await internalAuthorization(),
    load,
    { order },
  );
  printRun(round, 'direct', direct);
  const gateway = await through(stack.process('gateway'));
  printRun(round, 'gateway', gateway);
  const exportsBefore = receiver.exports();
  const traced = await through(tracedGateway);
  // Spans that never left the gateway would make tracing look free.
  if (receiver.exports() === exportsBefore) traced.valid = false;
  printRun(round, 'traced', traced);
  const untraced = await through(untracedGateway);
  printRun(round, 'untraced', untraced);
  // The peer replaces the client's Authorization; alice's token is sent all the same, so that
  // it receives the very request the gateway does.
  const reference = await startReferenceGateway({
    orderUrl: stack.urls.order,
    authorization: await internalAuthorization(),
  });
  const peer = await through(reference).finally(() => reference.stop());
  printRun(round, 'peer', peer);
  return { direct, gateway, traced, untraced, peer };
}

// The internal credential lives 60 s, so each run that uses one gets a fresh one; it is good
// for GET /orders only, the one request line every run sends (the reference gateway rewrites
// /api/orders to /orders).
async function internalAuthorization(): Promise<string> {
  const token = await signInternalToken({
    secret: INTERNAL_TOKEN_SECRET,
    issuer: 'gateway',
    audience: 'order',
    method: 'GET',
    path: '/orders',
    user: ALICE,
  });
  return `Bearer ${token}`;
}

/** The medians of each target over its valid runs. */
function summarize(rounds: Round[]): EfficiencyResult {
  const summary = Object.fromEntries(
    TARGETS.map((target) => {
      const runs = rounds.map((round) => round[target]).filter((run) => run.valid);
      return [
        target,
        {
          requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
          p50: median(runs.map((run) => run.p50)),
          p99: median(runs.map((run) => run.p99)),
          proxyCpuMs: median(runs.map((run) => run.proxyCpuMs)),
          orderCpuMs: median(runs.map((run) => run.orderCpuMs)),
          validRuns: runs.length,
        },
      ];
    }),
  ) as Record<TargetName, TargetSummary>;
  return {
    rounds,
    summary,
    gatewayRatio: summary.gateway.requestsPerSecond / summary.direct.requestsPerSecond,
    peerRatio: summary.peer.requestsPerSecond / summary.direct.requestsPerSecond,
    valid: rounds.every((round) => TARGETS.every((target) => round[target].valid)),
  };
}
