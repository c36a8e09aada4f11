import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BENCH_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The secret every process of the stack shares for internal credentials. */
export const INTERNAL_TOKEN_SECRET = 'cheesecake-bench-internal-secret';

/** The four services, in the order they start: the gateway's readiness asks the other three. */
export const SERVICES = ['payment', 'kitchen', 'order', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** A process the benchmark started: where it listens and how to stop it. */
export interface StartedProcess {
  name: string;
  url: string;
  /** The end of what it wrote to stderr, for a failure message. */
  errors(): string;
  /** CPU time it has used so far, user and system, in milliseconds; undefined off Linux. */
  cpuMs(): number | undefined;
  /** Sends SIGTERM and resolves once it has exited (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/** The four services running as processes, wired to each other. */
export interface Stack {
  urls: Record<ServiceName, string>;
  processes: StartedProcess[];
  /** The running process of one service. */
  process(service: ServiceName): StartedProcess;
  /** Starts one more gateway in front of the same services, with `env` added to its own. */
  startGateway(env: Record<string, string>): Promise<StartedProcess>;
  stop(): Promise<void>;
}

const STDERR_KEPT = 8_000;
const READY_TIMEOUT_MS = 30_000;
const running = new Set<ChildProcess>();

// Whatever ends the benchmark, no service is left behind holding a port.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

// /proc/<pid>/stat counts CPU time in clock ticks, which are 100 a second on Linux.
const TICKS_PER_SECOND = 100;

function cpuTimeMs(pid: number): number | undefined {
  try {
    // The command name in parentheses may hold spaces; the fields after it do not.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, fields 14 and 15 of the whole line.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1_000) / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/** A TCP port on loopback that nothing listens on at the moment. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node args` with exactly `env` (plus PATH) and waits until `isReady(url)`. Its
 * stdout goes nowhere: the services log every request there at their default level, and
 * writing those lines is part of what is measured, keeping them is not.
 */
async function startProcess(options: {
  name: string;
  args: string[];
  env: Record<string, string>;
  port: number;
  isReady: (url: string) => Promise<boolean>;
}): Promise<StartedProcess> {
  const url = `http://127.0.0.1:${options.port}`;
  const child = spawn(process.execPath, options.args, {
    cwd: BENCH_ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: String(options.port), ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT);
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      resolve();
    }),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;

  const started: StartedProcess = {
    name: options.name,
    url,
    errors: () => stderr,
    cpuMs: () => (child.pid === undefined ? undefined : cpuTimeMs(child.pid)),
    async stop() {
      if (!alive()) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await options.isReady(url))) {
    if (!alive() || Date.now() > deadline) {
      await started.stop();
      throw new Error(
        `${options.name} ${alive() ? 'was not ready within 30 s' : 'exited before it was ready'}:\n${stderr}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return started;
}

const answersOk = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
    (res) => res.ok,
    () => false,
  );

/**
 * Starts the built services (`services/<name>/dist/main.js`) as four processes on free ports,
 * each service on a throwaway in-memory database, at their default log level.
 */
export async function startStack(): Promise<Stack> {
  const ports = {} as Record<ServiceName, number>;
  for (const service of SERVICES) ports[service] = await freePort();
  const urls = {} as Record<ServiceName, string>;
  for (const service of SERVICES) urls[service] = `http://127.0.0.1:${ports[service]}`;

  const common = {
    HOST: '127.0.0.1',
    DATABASE_URL: 'memory://',
    INTERNAL_TOKEN_SECRET,
    ORDER_SERVICE_URL: urls.order,
    PAYMENT_SERVICE_URL: urls.payment,
    KITCHEN_SERVICE_URL: urls.kitchen,
  };
  const extra: Record<ServiceName, Record<string, string>> = {
    payment: {},
    // Tickets start at once and take a tenth of a second on as many stations as there could
    // be tickets, so the kitchen never holds back the checkout benchmark.
    kitchen: {
      KITCHEN_STATIONS: '10000',
      KITCHEN_START_DELAY_MS: '0',
      KITCHEN_PREPARATION_MS: '100',
    },
    order: {},
    // Far above what the benchmark sends a minute and at once, as two customers: the limits
    // still count every request, but never refuse one.
    gateway: { RATE_LIMIT_PER_MINUTE: '1000000000', REQUESTS_IN_PROGRESS_PER_USER: '1000000000' },
  };

  const processes: StartedProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((started) => started.stop()));
  };
  const launch = async (service: ServiceName, port: number, env: Record<string, string> = {}) => {
    const started = await startProcess({
      name: service,
      args: [
        '--import',
        `${REPO_ROOT}services/${service}/dist/instrument.js`,
        `${REPO_ROOT}services/${service}/dist/main.js`,
      ],
      env: { ...common, ...extra[service], ...env },
      port,
      isReady: (url) => answersOk(`${url}/readyz`),
    });
    processes.push(started);
    return started;
  };
  const start = async (service: ServiceName) => {
    await launch(service, ports[service]);
  };
  try {
    await Promise.all(SERVICES.filter((service) => service !== 'gateway').map(start));
    await start('gateway');
  } catch (error) {
    await stop();
    throw error;
  }
  const processOf = (service: ServiceName) => {
    const started = processes.find((candidate) => candidate.name === service);
    if (!started) throw new Error(`${service} is not running`);
    return started;
  };
  return {
    urls,
    processes,
    process: processOf,
    startGateway: async (env) => launch('gateway', await freePort(), env),
    stop,
  };
}

/** A trace backend's receiving end on loopback: accepts OTLP/HTTP exports and counts them. */
export async function startOtlpReceiver(): Promise<{
  url: string;
  exports: () => number;
  close: () => Promise<void>;
}> {
  let exports = 0;
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') exports += 1;
      // An empty ExportTraceServiceResponse: the export was accepted whole.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exports: () => exports,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Starts the reference gateway (reference-gateway.ts, under tsx) in front of the order
 * service, adding `authorization` to every request it forwards.
 */
export async function startReferenceGateway(options: {
  orderUrl: string;
  authorization: string;
}): Promise<StartedProcess> {
  return startProcess({
    name: 'reference gateway',
    args: ['--import', 'tsx', fileURLToPath(new URL('./reference-gateway.ts', import.meta.url))],
    env: {
      HOST: '127.0.0.1',
      ORDER_SERVICE_URL: options.orderUrl,
      INTERNAL_AUTHORIZATION: options.authorization,
    },
    port: await freePort(),
    // It forwards nothing but /api/orders, so any answer there means it is listening.
    isReady: (url) =>
      fetch(`${url}/api/orders?limit=1`, { signal: AbortSignal.timeout(1_000) }).then(
        () => true,
        () => false,
      ),
  });
}
