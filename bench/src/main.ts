/**
 * `pnpm bench`: starts the built services, measures the gateway's efficiency and the
 * checkout throughput, writes docs/benchmarks.md and exits non-zero when a result is invalid
 * or the checkout lost or doubled an order. See docs/benchmarks.md for what it measures.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { measureCheckout } from './checkout-throughput.js';
import { measureGatewayEfficiency } from './gateway-efficiency.js';
import { describeMachine } from './machine.js';
import { startStack } from './processes.js';
import { checkoutVerdict, efficiencyVerdict, renderReport } from './report.js';
import { loadSettings } from './settings.js';

const REPORT = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));

const settings = loadSettings();
const machine = describeMachine();
console.log(
  `bench on ${machine.cores} x ${machine.cpu}, Node.js ${machine.node}, load ${machine.loadAverage.toFixed(2)}; ${JSON.stringify(settings)}`,
);

const stack = await startStack();
try {
  console.log('gateway efficiency: direct, gateway, traced, untraced and peer in each round');
  const efficiency = await measureGatewayEfficiency(stack, {
    rounds: settings.BENCH_ROUNDS,
    durationSeconds: settings.BENCH_DURATION_SECONDS,
    warmupSeconds: settings.BENCH_WARMUP_SECONDS,
    connections: settings.BENCH_CONNECTIONS,
  });
  console.log(efficiencyVerdict(efficiency));

  console.log(
    `checkout: ${settings.BENCH_CHECKOUT_CLIENTS} clients for ${settings.BENCH_CHECKOUT_SECONDS} s`,
  );
  const checkout = await measureCheckout(stack.urls.gateway, {
    clients: settings.BENCH_CHECKOUT_CLIENTS,
    durationSeconds: settings.BENCH_CHECKOUT_SECONDS,
    readyTimeoutSeconds: settings.BENCH_READY_TIMEOUT_SECONDS,
  });
  console.log(
    `checkout: ${checkout.checkoutsPerSecond.toFixed(1)} orders created and paid per second. ${checkoutVerdict(checkout)}`,
  );

  writeFileSync(
    REPORT,
    renderReport({ date: new Date(), machine, settings, efficiency, checkout }),
  );
  console.log(`written to ${REPORT}`);
  if (!efficiency.valid || !checkout.check.passed) process.exitCode = 1;
} catch (error) {
  process.exitCode = 1;
  console.error(error);
  for (const started of stack.processes) {
    if (started.errors()) console.error(`--- ${started.name} stderr\n${started.errors()}`);
  }
} finally {
  await stack.stop();
}
