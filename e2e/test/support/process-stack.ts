import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, newTestDatabaseUrl, testDatabaseEngine } from '@cheesecake/service-kit/testing';
import type { Answer } from './client.js';
import { bodyOf, fetchInit, SERVICES, type ServiceName, type Stack } from './stack.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function waitUntilReady(
  url: string,
  isAlive: () => boolean,
  describe: () => string,
): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`process exited before it was ready:\n${describe()}`);
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) }).then(
      (res) => res.ok,
      () => false,
    );
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

  const start = async (service: ServiceName) => {
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
          PORT: String(ports[service]),
          DATA_DIR: join(workDir, service),
          ...(databaseUrls[service] && { DATABASE_URL: databaseUrls[service] }),
          LOG_LEVEL: 'info',
          ORDER_SERVICE_URL: urls.order,
          PAYMENT_SERVICE_URL: urls.payment,
          KITCHEN_SERVICE_URL: urls.kitchen,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const log = createWriteStream(logFile(service), { flags: 'a' });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    processes.set(service, child);
    await waitUntilReady(
      urls[service],
      () => child.exitCode === null && child.signalCode === null,
      () => logs(service),
    );
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
    async stop() {
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
