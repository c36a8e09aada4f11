import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, newTestDatabaseUrl, testDatabaseEngine } from '@cheesecake/service-kit/testing';
import type { Answer } from './client.js';
import { bodyOf, fetchInit, SERVICES, type ServiceName, type Stack } from './stack.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

// Over HTTPS the gateway shows a development certificate, which only this check accepts.
function isReady(url: string): Promise<boolean> {
  if (!url.startsWith('https:')) {
    return fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) }).then(
      (res) => res.ok,
      () => false,
    );
  }
  return new Promise((resolve) => {
    const req = httpsGet(`${url}/readyz`, { rejectUnauthorized: false, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

async function waitUntilReady(
  url: string,
  isAlive: () => boolean,
  describe: () => string,
): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`process exited before it was ready:\n${describe()}`);
    const ready = await isReady(url);
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not ready within 120 s:\n${describe()}`);
}

/**
 * A database of its own for each service on the run's PostgreSQL server in the `postgres`
 * project, as compose gives each service; none in the `pglite` project.
 */
async function databasesFor(
  services: ServiceName[],
): Promise<Partial<Record<ServiceName, string>>> {
  if (testDatabaseEngine() !== 'postgres') return {};
  return Object.fromEntries(
    await Promise.all(
      services.map(async (service) => [service, await newTestDatabaseUrl(service)]),
    ),
  );
}

/**
 * Starts payment, kitchen, order and gateway as separate Node.js processes from their
 * built output, each on a free port and its own database (PGlite in a directory of its
 * own, or in the `postgres` project a PostgreSQL database of its own), wired to each other
 * by URL, and waits until each is ready. `env` adds variables to every process.
 */
export async function startProcessStack(env: Record<string, string> = {}): Promise<Stack> {
  const workDir = mkdtempSync(join(tmpdir(), 'cheesecake-e2e-'));
  const ports = Object.fromEntries(
    await Promise.all(SERVICES.map(async (service) => [service, await freePort()] as const)),
  ) as Record<ServiceName, number>;
  const urls = Object.fromEntries(
    SERVICES.map((service) => [service, `http://127.0.0.1:${ports[service]}`]),
  ) as Record<ServiceName, string>;
  const databaseUrls = await databasesFor(['order', 'payment', 'kitchen']);
  const processes = new Map<ServiceName, ChildProcess>();
  const logFile = (service: ServiceName) => join(workDir, `${service}.log`);

  const spawnService = (service: ServiceName, port: number, logPath: string, extra = {}) => {
    const child = spawn(
      process.execPath,
      // As `pnpm start` runs them: telemetry first, then the service.
      [
        '--import',
        join(REPO_ROOT, 'services', service, 'dist', 'instrument.js'),
        join(REPO_ROOT, 'services', service, 'dist', 'main.js'),
      ],
      {
        env: {
          PATH: process.env.PATH,
          HOST: '127.0.0.1',
          PORT: String(port),
          DATA_DIR: join(workDir, service),
          ...(databaseUrls[service] && { DATABASE_URL: databaseUrls[service] }),
          LOG_LEVEL: 'info',
          ORDER_SERVICE_URL: urls.order,
          PAYMENT_SERVICE_URL: urls.payment,
          KITCHEN_SERVICE_URL: urls.kitchen,
          ...env,
          ...extra,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const log = createWriteStream(logPath, { flags: 'a' });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    return child;
  };
  const isRunning = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

  const start = async (service: ServiceName) => {
    const child = spawnService(service, ports[service], logFile(service));
    processes.set(service, child);
    await waitUntilReady(
      urls[service],
      () => isRunning(child),
      () => logs(service),
    );
  };

  const otherGateways: ChildProcess[] = [];
  const startGateway: Stack['startGateway'] = async (extra = {}) => {
    const port = await freePort();
    const logPath = join(workDir, `gateway-${port}.log`);
    const child = spawnService('gateway', port, logPath, extra);
    otherGateways.push(child);
    const scheme = extra.TLS_CERT_FILE ? 'https' : 'http';
    const url = `${scheme}://127.0.0.1:${port}`;
    await waitUntilReady(
      url,
      () => isRunning(child),
      () => readFileSync(logPath, 'utf8'),
    );
    return url;
  };

  const stopProcess = async (
    service: ServiceName,
    signal: NodeJS.Signals,
  ): Promise<number | null> => {
    const child = processes.get(service);
    if (!child || child.exitCode !== null || child.signalCode !== null)
      return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    child.kill(signal);
    return exited;
  };

  const logs = (service: ServiceName) => {
    try {
      return readFileSync(logFile(service), 'utf8');
    } catch {
      return '(no output)';
    }
  };

  const stack: Stack = {
    gatewayUrl: urls.gateway,
    async callService(service, path, headers = {}, request = { method: 'GET' }): Promise<Answer> {
      const res = await fetch(`${urls[service]}${path}`, fetchInit(headers, request));
      const text = await res.text();
      return {
        status: res.status,
        headers: res.headers,
        body: bodyOf(text),
      };
    },
    readService(service, reads) {
      return Promise.all(
        reads.map(({ path, headers }) => this.callService(service, path, headers)),
      );
    },
    replicasThatLogged: async (service, ...texts) => {
      const logged = logs(service);
      return texts.some((text) => logged.includes(text)) ? [service] : [];
    },
    kill: async (service) => {
      await stopProcess(service, 'SIGKILL');
    },
    terminate: (service) => stopProcess(service, 'SIGTERM'),
    start,
    startGateway,
    async stop() {
      for (const child of otherGateways) if (isRunning(child)) child.kill('SIGTERM');
      await Promise.all(SERVICES.map((service) => stopProcess(service, 'SIGTERM')));
      rmSync(workDir, { recursive: true, force: true });
    },
  };
  try {
    // The three services need nothing from each other to become ready; the gateway's readiness
    // asks all three.
    await Promise.all(SERVICES.filter((service) => service !== 'gateway').map(start));
    await start('gateway');
  } catch (error) {
    for (const service of SERVICES) process.stderr.write(`--- ${service}\n${logs(service)}\n`);
    await stack.stop();
    throw error;
  }
  return stack;
}
