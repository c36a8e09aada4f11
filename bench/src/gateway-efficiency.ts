import { OrderPage } from '@cheesecake/contracts';
import { signInternalToken } from '@cheesecake/service-kit';
import autocannon from 'autocannon';
import { call, expectCall, signIn } from './api.js';
import {
  INTERNAL_TOKEN_SECRET,
  type Stack,
  type StartedProcess,
  startOtlpReceiver,
  startReferenceGateway,
} from './processes.js';
import { median } from './stats.js';

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

/** One measured run of one target. Latencies in milliseconds. */
export interface TargetRun {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  responses: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Count of each status code answered. */
  statusCodes: Record<string, number>;
  /** CPU time of the gateway or the peer per response, in ms; NaN for direct or off Linux. */
  proxyCpuMs: number;
  /** CPU time of the order service per response, in ms; NaN off Linux. */
  orderCpuMs: number;
  /** False when any request failed or was answered other than 2xx: the numbers mean nothing. */
  valid: boolean;
}

/** The three targets measured one after another. */
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

  // The internal credential lives 60 s, so each run that uses one gets a fresh one; it is good
  // for GET /orders only, the one request line every run sends (the reference gateway
  // rewrites /api/orders to /orders).
  const internalAuthorization = async () =>
    `Bearer ${await signInternalToken({
      secret: INTERNAL_TOKEN_SECRET,
      issuer: 'gateway',
      audience: 'order',
      method: 'GET',
      path: '/orders',
      user: ALICE,
    })}`;

  // The first measurement would otherwise pay for the processes compiling their hot code.
  await autocannon({
    url: `${stack.urls.gateway}/api/orders?limit=${ORDERS_TO_LIST}`,
    headers: { authorization: `Bearer ${alice}` },
    connections: options.connections,
    duration: INITIAL_WARMUP_SECONDS,
  });

  const orderService = stack.process('order');
  const gatewayService = stack.process('gateway');
  const receiver = await startOtlpReceiver();
  const tracedGateway = await stack.startGateway({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_TRACES_SAMPLER: 'always_on',
  });
  const untracedGateway = await stack.startGateway({ OTEL_SDK_DISABLED: 'true' });
  for (const warming of [tracedGateway, untracedGateway]) {
    await autocannon({
      url: `${warming.url}/api/orders?limit=${ORDERS_TO_LIST}`,
      headers: { authorization: `Bearer ${alice}` },
      connections: options.connections,
      duration: INITIAL_WARMUP_SECONDS,
    });
  }
  const rounds: Round[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const direct = await measureTarget(
      `${stack.urls.order}/orders?limit=${ORDERS_TO_LIST}`,
      await internalAuthorization(),
      options,
      { order: orderService },
    );
    printRun(round, 'direct', direct);
    const gateway = await measureTarget(
      `${stack.urls.gateway}/api/orders?limit=${ORDERS_TO_LIST}`,
      `Bearer ${alice}`,
      options,
      { proxy: gatewayService, order: orderService },
    );
    printRun(round, 'gateway', gateway);
    const exportsBefore = receiver.exports();
    const traced = await measureTarget(
      `${tracedGateway.url}/api/orders?limit=${ORDERS_TO_LIST}`,
      `Bearer ${alice}`,
      options,
      { proxy: tracedGateway, order: orderService },
    );
    // Spans that never left the gateway would make tracing look free.
    if (receiver.exports() === exportsBefore) traced.valid = false;
    printRun(round, 'traced', traced);
    const untraced = await measureTarget(
      `${untracedGateway.url}/api/orders?limit=${ORDERS_TO_LIST}`,
      `Bearer ${alice}`,
      options,
      { proxy: untracedGateway, order: orderService },
    );
    printRun(round, 'untraced', untraced);
    const reference = await startReferenceGateway({
      orderUrl: stack.urls.order,
      authorization: await internalAuthorization(),
    });
    let peer: TargetRun;
    try {
      // The peer replaces the client's Authorization; alice's token is sent all the same, so
      // that it receives the very request the gateway does.
      peer = await measureTarget(
        `${reference.url}/api/orders?limit=${ORDERS_TO_LIST}`,
        `Bearer ${alice}`,
        options,
        { proxy: reference, order: orderService },
      );
    } finally {
      await reference.stop();
    }
    printRun(round, 'peer', peer);
    rounds.push({ direct, gateway, traced, untraced, peer });
  }
  await Promise.all([tracedGateway.stop(), untracedGateway.stop()]);
  await receiver.close();

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

/**
 * Checks that `url` lists the orders, loads it unmeasured for the warm-up, then measures it
 * with `connections` keep-alive connections for `durationSeconds`, and the CPU time the
 * proxy in front (if any) and the order service spent on it.
 */
async function measureTarget(
  url: string,
  authorization: string,
  options: EfficiencyOptions,
  watched: { proxy?: StartedProcess; order: StartedProcess },
): Promise<TargetRun> {
  const answer = await call(url, { authorization });
  const page = answer.status === 200 ? OrderPage.safeParse(answer.body) : undefined;
  if (!page?.success || page.data.items.length !== ORDERS_TO_LIST) {
    throw new Error(
      `GET ${url} should list ${ORDERS_TO_LIST} orders, got ${answer.status} ${JSON.stringify(answer.body)}`,
    );
  }

  const load = (duration: number) =>
    autocannon({
      url,
      headers: { authorization },
      connections: options.connections,
      duration,
    });
  if (options.warmupSeconds > 0) await load(options.warmupSeconds);
  const cpuBefore = { proxy: watched.proxy?.cpuMs(), order: watched.order.cpuMs() };
  const result = await load(options.durationSeconds);
  const cpuPerResponse = (before: number | undefined, after: number | undefined) =>
    before === undefined || after === undefined
      ? Number.NaN
      : (after - before) / result.requests.total;

  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count ?? 0]),
  );
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    responses: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    proxyCpuMs: cpuPerResponse(cpuBefore.proxy, watched.proxy?.cpuMs()),
    orderCpuMs: cpuPerResponse(cpuBefore.order, watched.order.cpuMs()),
    valid:
      result.requests.total > 0 &&
      result.non2xx === 0 &&
      result.errors === 0 &&
      result.timeouts === 0,
  };
}

function printRun(round: number, target: TargetName, run: TargetRun): void {
  const cpu = Number.isFinite(run.proxyCpuMs) ? `${target} ${run.proxyCpuMs.toFixed(2)} ms, ` : '';
  const validity = run.valid
    ? ''
    : ` INVALID: ${run.non2xx} non-2xx (${JSON.stringify(run.statusCodes)}), ${run.errors} errors`;
  console.log(
    `round ${round} ${target.padEnd(7)} ${run.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${run.p50} ms  p99 ${run.p99} ms  CPU per request: ${cpu}order ${run.orderCpuMs.toFixed(2)} ms${validity}`,
  );
}
