import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Answer } from './client.js';
import { bodyOf, fetchInit, SERVICES, type ServiceName, type Stack } from './stack.js';

const exec = promisify(execFile);
const GATEWAY_URL =
  process.env.E2E_GATEWAY_URL ?? `http://localhost:${process.env.GATEWAY_PORT ?? '8080'}`;
const PORTS: Record<ServiceName, number> = {
  order: 3001,
  payment: 3002,
  kitchen: 3003,
  gateway: 8080,
};

/** `--scale` flags from E2E_COMPOSE_SCALE (such as `order=2 kitchen=2`), so restarts keep the replicas. */
const scaleFlags = (process.env.E2E_COMPOSE_SCALE ?? '')
  .split(/\s+/)
  .filter(Boolean)
  .flatMap((scale) => ['--scale', scale]);

async function compose(args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await exec('docker', ['compose', ...args], {
    env: { ...process.env, ...env },
    maxBuffer: 10 * 1024 * 1024,
  });
  return stdout;
}

async function containersOf(service: ServiceName): Promise<string[]> {
  return (await compose(['ps', '-q', service])).split('\n').filter(Boolean);
}

async function inspect(container: string, format: string): Promise<string> {
  const { stdout } = await exec('docker', ['inspect', '--format', format, container]);
  return stdout.trim();
}

/** Waits until every container of `services` is healthy, and the gateway ready when it is one of them. */
async function waitUntilHealthy(services: readonly ServiceName[] = SERVICES): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const states = await Promise.all(
      services.map(async (service) => {
        const containers = await containersOf(service);
        const health = await Promise.all(
          containers.map((id) => inspect(id, '{{.State.Health.Status}}')),
        );
        return containers.length > 0 && health.every((status) => status === 'healthy');
      }),
    );
    const gatewayReady =
      !services.includes('gateway') ||
      (await fetch(`${GATEWAY_URL}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
        (res) => res.ok,
        () => false,
      ));
    if (states.every(Boolean) && gatewayReady) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(
    `the compose stack did not become healthy within 120 s:\n${await compose(['ps'])}`,
  );
}

/**
 * The docker compose stack that `pnpm test:compose` started, on http://localhost:8080.
 * `env` is passed to compose's variable substitution: services whose configuration it
 * changes are recreated (with their data, which lives in PostgreSQL).
 */
export async function startComposeStack(env: Record<string, string> = {}): Promise<Stack> {
  await compose(['up', '-d', ...scaleFlags], env);
  await waitUntilHealthy();
  // The gateway's rate-limit counts outlive a recreated gateway in Redis: each file starts afresh.
  await compose(['exec', '-T', 'redis', 'redis-cli', 'FLUSHALL'], env);

  return {
    gatewayUrl: GATEWAY_URL,
    async callService(service, path, headers = {}, request = { method: 'GET' }): Promise<Answer> {
      // Service ports are not published, so the call is made from inside the network.
      const script = `fetch(${JSON.stringify(`http://${service}:${PORTS[service]}${path}`)}, ${JSON.stringify(fetchInit(headers, request))})
        .then(async (res) => console.log(JSON.stringify({ status: res.status, headers: Object.fromEntries(res.headers), text: await res.text() })))`;
      const out = JSON.parse(
        await compose(['exec', '-T', 'gateway', 'node', '-e', script], env),
      ) as {
        status: number;
        headers: Record<string, string>;
        text: string;
      };
      return {
        status: out.status,
        headers: new Headers(out.headers),
        body: bodyOf(out.text),
      };
    },
    async readService(service, reads): Promise<Answer[]> {
      const requests = reads.map(({ path, headers = {} }) => ({
        url: `http://${service}:${PORTS[service]}${path}`,
        headers,
      }));
      // Fifty at a time, so a thousand reads do not flood the service.
      const script = `(async () => {
        const requests = ${JSON.stringify(requests)};
        const answers = [];
        for (let start = 0; start < requests.length; start += 50) {
          answers.push(...(await Promise.all(requests.slice(start, start + 50).map(async ({ url, headers }) => {
            const res = await fetch(url, { headers });
            return { status: res.status, headers: Object.fromEntries(res.headers), text: await res.text() };
          }))));
        }
        console.log(JSON.stringify(answers));
      })()`;
      const out = JSON.parse(
        await compose(['exec', '-T', 'gateway', 'node', '-e', script], env),
      ) as Array<{ status: number; headers: Record<string, string>; text: string }>;
      return out.map((answer) => ({
        status: answer.status,
        headers: new Headers(answer.headers),
        body: bodyOf(answer.text),
      }));
    },
    async startGateway() {
      throw new Error('a second gateway runs on processes only; compose scales its own');
    },
    async replicasThatLogged(service, ...texts) {
      const lines = (await compose(['logs', '--no-color', service])).split('\n');
      const replicas = lines
        .filter((line) => texts.some((text) => line.includes(text)))
        .map((line) => line.split('|')[0]?.trim());
      return [...new Set(replicas)].filter((replica): replica is string => Boolean(replica));
    },
    async kill(service) {
      await compose(['kill', '-s', 'SIGKILL', service], env);
    },
    async terminate(service) {
      const containers = await containersOf(service);
      await compose(['stop', service], env);
      const codes = await Promise.all(containers.map((id) => inspect(id, '{{.State.ExitCode}}')));
      return Math.max(...codes.map(Number));
    },
    async start(service) {
      await compose(['up', '-d', ...scaleFlags, service], env);
      await waitUntilHealthy([service]);
    },
    async stop() {
      // The stack belongs to `pnpm test:compose`, which tears it down.
    },
  };
}
