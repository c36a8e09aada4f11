#!/usr/bin/env node
// pnpm start: runs `turbo run start`, which builds and starts the four services, and prints one
// line once all four answer /readyz, so that nobody pastes the walkthrough into a gateway whose
// services are still opening their databases.
//   node scripts/start.mjs [more arguments for turbo run start]
// Ctrl-C and SIGTERM reach turbo once, which stops the services gracefully; this script exits
// with turbo's exit code.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

// A service that crashes leaves the others running, as a container would: the gateway then
// answers 503 for what needs it, instead of the whole system stopping.
const turboArgs = ['--continue=dependencies-successful', ...process.argv.slice(2)];

// The addresses the services themselves read. PORT is per service, so it cannot say where the
// gateway is when one command starts all four; GATEWAY_PORT does, as for docker compose.
const gatewayHost = process.env.HOST ?? '127.0.0.1';
const gatewayPort = process.env.GATEWAY_PORT ?? '8080';
const services = {
  gateway: `http://${urlHost(gatewayHost, 'probe')}:${gatewayPort}`,
  order: process.env.ORDER_SERVICE_URL ?? 'http://localhost:3001',
  payment: process.env.PAYMENT_SERVICE_URL ?? 'http://localhost:3002',
  kitchen: process.env.KITCHEN_SERVICE_URL ?? 'http://localhost:3003',
};
const gatewayUrl = `http://${urlHost(gatewayHost, 'show')}:${gatewayPort}`;

// The gateway's own /readyz asks the three services, each within a second.
const PROBE_TIMEOUT_MS = 3_000;
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 2_000;
const HINT_AFTER_MS = 60_000;

/**
 * The host part of a URL for a service listening on `host`: an address that reaches it
 * (`probe`), or the name to give a person (`show`). A service on every interface, or on the
 * loopback, is reached on the loopback.
 */
function urlHost(host, purpose) {
  const loopback = ['127.0.0.1', '0.0.0.0', 'localhost', '::', '::1'];
  if (loopback.includes(host)) {
    if (purpose === 'show') return 'localhost';
    return host === '::' || host === '::1' ? '[::1]' : '127.0.0.1';
  }
  return host.includes(':') ? `[${host}]` : host;
}

/** Whether a service answers its /readyz with 200; if not, what it answered, if anything. */
async function readiness(baseUrl) {
  try {
    const response = await fetch(`${baseUrl.replace(/\/+$/, '')}/readyz`, {
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return { ready: response.status === 200, answered: true, why: response.status };
  } catch (error) {
    const why = error?.cause?.code ?? (error?.name === 'TimeoutError' ? 'no answer' : error?.name);
    return { ready: false, answered: false, why };
  }
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

let turboExited = false;

/** Polls the four services, backing off, until all are ready; false if turbo exited first. */
async function waitUntilReady() {
  const started = Date.now();
  let hinted = false;
  for (let wait = FIRST_DELAY_MS; !turboExited; wait = Math.min(wait * 1.5, MAX_DELAY_MS)) {
    const answers = await Promise.all(
      Object.entries(services).map(async ([name, url]) => ({ name, ...(await readiness(url)) })),
    );
    if (turboExited) return false;
    const waiting = answers.filter((answer) => !answer.ready);
    if (waiting.length === 0) return true;
    if (!hinted && Date.now() - started > HINT_AFTER_MS) {
      hinted = true;
      const names = waiting.map((answer) => `${answer.name} (${answer.why})`).join(', ');
      console.log(
        `Still waiting for ${names}. A first start creates the embedded databases under .data/, which can take a minute or two on a slow machine; the services' own lines above say more.`,
      );
    }
    await delay(wait);
  }
  return false;
}

// The services fall back to the secrets written in the repository, which is right for a
// machine of one's own and nowhere else; with NODE_ENV=production they refuse to start on them.
const secrets = ['JWT_SECRET', 'INTERNAL_TOKEN_SECRET'];
const unset = secrets.filter((name) => !process.env[name] && !process.env[`${name}_FILE`]);
if (unset.length > 0) {
  console.log(
    `Warning: ${unset.join(' and ')} not set, so the services use the development defaults anyone can read; fine on your own machine, never for a deployment (see "Secrets" in the README).`,
  );
}

// Something already answering where the gateway will listen would pass for this run's gateway.
const taken = (await readiness(services.gateway)).answered;
if (taken) {
  console.log(
    `Something already answers on ${gatewayUrl}; is Cheesecake running elsewhere? The gateway started now cannot listen there.`,
  );
}

// In a session of its own (detached), so that a signal reaches turbo once, from here: a Ctrl-C
// in a terminal signals this whole process group, and a second SIGINT makes turbo kill its
// tasks at once instead of letting them shut down. Windows has no process groups and no
// signals to pass on: a Ctrl-C there reaches every process in the console by itself.
const windows = process.platform === 'win32';
const turbo = windows
  ? spawn(['turbo', 'run', 'start', ...turboArgs].join(' '), { stdio: 'inherit', shell: true })
  : spawn('turbo', ['run', 'start', ...turboArgs], { stdio: 'inherit', detached: true });

// To the group, as a terminal would: `turbo` is a node wrapper around the native binary, and
// the wrapper passes SIGTERM on but leaves SIGINT to the group.
const forward = (signal) => () => {
  if (windows || turbo.exitCode !== null || turbo.signalCode !== null) return;
  try {
    process.kill(-turbo.pid, signal);
  } catch {
    // Gone between the check and the signal.
  }
};
process.on('SIGINT', forward('SIGINT'));
process.on('SIGTERM', forward('SIGTERM'));
// A closed terminal: the services are stopped as for SIGTERM, not left running without it.
process.on('SIGHUP', forward('SIGTERM'));

turbo.on('error', (error) => {
  console.error(`Could not run turbo: ${error.message}`);
  process.exit(1);
});
turbo.on('exit', (code, signal) => {
  turboExited = true;
  process.exitCode = code ?? 128 + (constants.signals[signal] ?? 0);
});
// Should this script fail, turbo, in its own process group, would otherwise run on unseen.
process.on('exit', forward('SIGTERM'));

if (!taken && (await waitUntilReady())) console.log(`Cheesecake is ready on ${gatewayUrl}`);
