import { OrderPage } from '@cheesecake/contracts';
import autocannon from 'autocannon';
import { call } from './api.js';
import type { StartedProcess } from './processes.js';

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

/** How hard and how long to load a target, and how many orders its page must list. */
export interface TargetLoad {
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  expectedOrders: number;
}

/**
 * Checks that `url` lists the orders, loads it unmeasured for the warm-up, then measures it
 * with `connections` keep-alive connections for `durationSeconds`, and the CPU time the
 * proxy in front (if any) and the order service spent on it.
 */
export async function measureTarget(
  url: string,
  authorization: string,
  options: TargetLoad,
  watched: { proxy?: StartedProcess; order: StartedProcess },
): Promise<TargetRun> {
  const answer = await call(url, { authorization });
  const page = answer.status === 200 ? OrderPage.safeParse(answer.body) : undefined;
  if (!page?.success || page.data.items.length !== options.expectedOrders) {
    throw new Error(
      `GET ${url} should list ${options.expectedOrders} orders, got ${answer.status} ${JSON.stringify(answer.body)}`,
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

/** One run's line on the console, as the benchmark goes. */
export function printRun(round: number, target: string, run: TargetRun): void {
  const cpu = Number.isFinite(run.proxyCpuMs) ? `${target} ${run.proxyCpuMs.toFixed(2)} ms, ` : '';
  const validity = run.valid
    ? ''
    : ` INVALID: ${run.non2xx} non-2xx (${JSON.stringify(run.statusCodes)}), ${run.errors} errors`;
  console.log(
    `round ${round} ${target.padEnd(7)} ${run.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${run.p50} ms  p99 ${run.p99} ms  CPU per request: ${cpu}order ${run.orderCpuMs.toFixed(2)} ms${validity}`,
  );
}
