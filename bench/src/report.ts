import type { CheckoutResult } from './checkout-throughput.js';
import {
  type EfficiencyResult,
  INITIAL_WARMUP_SECONDS,
  TARGET_DESCRIPTIONS,
  TARGETS,
} from './gateway-efficiency.js';
import type { Machine } from './machine.js';
import { SETTING_VARIABLES, type Settings } from './settings.js';
import type { TargetRun } from './target-run.js';

/** The gateway/direct ratio the gateway should reach (issue 4, point 9). */
export const TARGET_RATIO = 0.6;

/** What one run of `pnpm bench` found, and where. */
export interface BenchRun {
  date: Date;
  machine: Machine;
  settings: Settings;
  efficiency: EfficiencyResult;
  checkout: CheckoutResult;
}

const whole = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : 'n/a');
const ms = (value: number) => (Number.isFinite(value) ? `${Number(value.toFixed(1))} ms` : 'n/a');
const cpu = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)} ms` : '-');
const ratio = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');

// Columns padded to their widest cell, as the repository's formatter (Biome) writes tables.
function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(3, title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    `| ${widths.map((width, column) => (cells[column] ?? '').padEnd(width)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join(
    '\n',
  );
}

/** The verdict on the gateway's ratio, in one sentence. */
export function efficiencyVerdict(efficiency: EfficiencyResult): string {
  if (!efficiency.valid) {
    return 'INVALID: some requests failed or were answered other than 2xx (see the rounds), so the ratio is not a result.';
  }
  const met = efficiency.gatewayRatio >= TARGET_RATIO;
  return `Gateway/direct ratio ${ratio(efficiency.gatewayRatio)}: the target of at least ${TARGET_RATIO.toFixed(2)} is ${met ? 'met' : 'NOT met'}.`;
}

/** What a request cost the gateway, the peer and the order service in CPU time, when known. */
function cpuComparison(efficiency: EfficiencyResult): string {
  const { direct, gateway, traced, untraced, peer } = efficiency.summary;
  if (!Number.isFinite(gateway.proxyCpuMs) || !Number.isFinite(peer.proxyCpuMs)) return '';
  return [
    `Per request, the gateway spent ${cpu(gateway.proxyCpuMs)} of CPU time and the peer ${cpu(peer.proxyCpuMs)} (the gateway ${ratio(gateway.proxyCpuMs / peer.proxyCpuMs)} times as much); the order service behind them spent ${cpu(direct.orderCpuMs)}.`,
    `Tracing on (every request sampled and exported) cost the gateway ${cpu(traced.proxyCpuMs)} per request, tracing off ${cpu(untraced.proxyCpuMs)} (the SDK disabled): ${cpu(traced.proxyCpuMs - untraced.proxyCpuMs)} added by tracing. The default, the SDK on without an endpoint (spans made for their context, none exported), is the gateway row.`,
  ].join(' ');
}

/** The verdict on the checkout check, in one sentence. */
export function checkoutVerdict(checkout: CheckoutResult): string {
  return checkout.check.passed
    ? `Passed: all ${checkout.paid} paid orders READY, none lost or duplicated.`
    : `FAILED: ${checkout.check.problems.join('; ')}.`;
}

/** docs/benchmarks.md for one run. */
export function renderReport(run: BenchRun): string {
  return `${[
    '# Benchmarks',
    paragraph(
      `Written by \`pnpm bench\` on ${run.date.toISOString()}; run it again to replace this page.`,
      'A benchmark is not a test: nothing here is asserted by `pnpm test`.',
    ),
    ...machineSection(run.machine),
    ...commandSection(run.settings),
    ...efficiencySection(run.efficiency, run.settings),
    ...checkoutSection(run.checkout, run.settings),
  ].join('\n\n')}\n`;
}

function machineSection(machine: Machine): string[] {
  return [
    '## Machine',
    table(
      ['', 'this machine'],
      [
        ['CPU', machine.cpu],
        ['cores', String(machine.cores)],
        ['memory', `${machine.memoryGiB} GiB`],
        ['OS', machine.os],
        ['Node.js', machine.node],
        ['load average (1 min) at the start', machine.loadAverage.toFixed(2)],
      ],
    ),
    paragraph(
      'The load generator, the gateway and the services are separate processes on loopback and',
      `share these ${machine.cores} cores, so every number below includes their competition for them.`,
      'A load average at the start near or above the number of cores means other work was sharing',
      'them too, and the numbers are lower and noisier than on a quiet machine.',
    ),
  ];
}

function commandSection(settings: Settings): string[] {
  return [
    '## Command',
    [
      '```sh',
      'pnpm install',
      'pnpm bench    # turbo builds the packages and services first, then runs bench/src/main.ts',
      '```',
    ].join('\n'),
    'Settings, from the environment (the defaults keep the whole run under about three minutes):',
    table(
      ['variable', 'this run', 'default', 'meaning'],
      SETTING_VARIABLES.map((variable) => [
        `\`${variable.name}\``,
        String(settings[variable.name]),
        String(variable.defaultValue),
        variable.meaning,
      ]),
    ),
    paragraph(
      'The four services run from their build (`node services/<name>/dist/main.js`), each on a',
      'free port with `DATABASE_URL=memory://`, at their default log level (`info`): every request',
      "is logged as JSON, and the lines go to /dev/null. The gateway's `RATE_LIMIT_PER_MINUTE` and",
      '`REQUESTS_IN_PROGRESS_PER_USER` are set far above the load, so the limits count every',
      'request but refuse none. The kitchen',
      'starts tickets at once and prepares each in 100 ms on 10000 stations, so it never holds back',
      'the checkout.',
    ),
  ];
}

function efficiencySection(efficiency: EfficiencyResult, settings: Settings): string[] {
  const { summary } = efficiency;
  return [
    '## Gateway efficiency',
    paragraph(efficiencyVerdict(efficiency), cpuComparison(efficiency)),
    "The same page of alice's ten latest orders, each of these ways:",
    TARGETS.map((target) => `- **${target}**: ${TARGET_DESCRIPTIONS[target]}`).join('\n'),
    paragraph(
      `Each round measures direct, gateway, traced, untraced and peer in turn, each with ${settings.BENCH_CONNECTIONS}`,
      `keep-alive connections (autocannon) for ${settings.BENCH_DURATION_SECONDS} s after an`,
      `unmeasured warm-up of ${settings.BENCH_WARMUP_SECONDS} s; before the first round, the`,
      `gateway is loaded for ${INITIAL_WARMUP_SECONDS} s, so that no measurement pays for the processes`,
      'compiling their hot code. The gateway does all it does for',
      "any request: it verifies alice's token, counts the request against her rate limit, adds its",
      'security and no-store headers, logs the request and calls the order service with an internal',
      'credential naming alice. The peer only forwards, with a fixed credential; it is restarted',
      'each round because an internal credential lives 60 s. Every run must see only 2xx answers',
      'and no errors, or it is marked invalid and left out of the medians. Latencies are',
      "autocannon's, in whole milliseconds. The columns proxy CPU and order CPU are the CPU time",
      '(user and system, from /proc) that the gateway or the peer, and the order service, spent per',
      'response during the measurement: where req/s shows what the shared cores managed, they show',
      'what each request cost.',
    ),
    `Median of ${settings.BENCH_ROUNDS} rounds:`,
    table(
      ['target', 'req/s', 'p50', 'p99', 'ratio to direct', 'proxy CPU', 'order CPU', 'valid runs'],
      TARGETS.map((target) => [
        target,
        whole(summary[target].requestsPerSecond),
        ms(summary[target].p50),
        ms(summary[target].p99),
        !efficiency.valid
          ? 'invalid'
          : target === 'direct'
            ? '1.00'
            : ratio(summary[target].requestsPerSecond / summary.direct.requestsPerSecond),
        cpu(summary[target].proxyCpuMs),
        cpu(summary[target].orderCpuMs),
        `${summary[target].validRuns} of ${efficiency.rounds.length}`,
      ]),
    ),
    'Each round:',
    roundsTable(efficiency),
  ];
}

function roundsTable(efficiency: EfficiencyResult): string {
  const roundRow = (round: number, target: string, r: TargetRun) => [
    String(round),
    target,
    r.valid ? whole(r.requestsPerSecond) : `invalid (${whole(r.requestsPerSecond)})`,
    ms(r.p50),
    ms(r.p99),
    cpu(r.proxyCpuMs),
    cpu(r.orderCpuMs),
    String(r.responses),
    String(r.non2xx),
    String(r.errors),
    r.valid ? 'yes' : `NO (${JSON.stringify(r.statusCodes)})`,
  ];
  return table(
    [
      'round',
      'target',
      'req/s',
      'p50',
      'p99',
      'proxy CPU',
      'order CPU',
      'responses',
      'non-2xx',
      'errors',
      'valid',
    ],
    efficiency.rounds.flatMap((round, i) =>
      TARGETS.map((target) => roundRow(i + 1, target, round[target])),
    ),
  );
}

function checkoutSection(checkout: CheckoutResult, settings: Settings): string[] {
  const failures = Object.entries(checkout.failures);
  const latency = (p: { p50: number; p99: number }) => `${ms(p.p50)} / ${ms(p.p99)}`;
  return [
    '## Checkout throughput',
    paragraph(checkoutVerdict(checkout)),
    paragraph(
      `${checkout.clients} clients, half signed in as alice and half as bob, each looping`,
      '`POST /api/orders` (one New York cheesecake) then `POST /api/orders/{id}/payment`',
      `(\`tok_visa\`) through the gateway for ${settings.BENCH_CHECKOUT_SECONDS} s, each finishing`,
      'the checkout it had begun. Then every paid order had to show status READY with its payment',
      `CAPTURED and its ticket READY (\`GET /api/orders/{id}\`) within`,
      `${settings.BENCH_READY_TIMEOUT_SECONDS} s; every order, payment and ticket id had to be`,
      'distinct, and the kitchen had to hold exactly one ticket for each paid order and none other.',
    ),
    table(
      ['', 'this run'],
      [
        ['orders created and paid per second', checkout.checkoutsPerSecond.toFixed(1)],
        ['orders created', String(checkout.created)],
        ['orders paid', String(checkout.paid)],
        ['elapsed', `${checkout.elapsedSeconds.toFixed(1)} s`],
        ['create latency p50 / p99', latency(checkout.latency.create)],
        ['pay latency p50 / p99', latency(checkout.latency.pay)],
        ['create + pay latency p50 / p99', latency(checkout.latency.checkout)],
        [
          'failed requests (non-2xx or no answer)',
          failures.length === 0
            ? 'none'
            : failures.map(([what, count]) => `${what} x${count}`).join(', '),
        ],
        ['paid orders READY', `${checkout.check.ready} of ${checkout.paid}`],
        [
          'after the checkout, until the kitchen had every ticket READY',
          `${checkout.check.kitchenSeconds.toFixed(1)} s`,
        ],
        [
          'after the checkout, until every paid order was seen READY',
          `${checkout.check.checkedSeconds.toFixed(1)} s`,
        ],
      ],
    ),
  ];
}

const LINE_WIDTH = 95;

// The lines of a paragraph come with values filled in, so they are wrapped again to keep the
// generated page as readable as a written one.
function paragraph(...lines: string[]): string {
  const wrapped: string[] = [];
  let line = '';
  // A unit stays on the line of its number.
  for (const word of lines
    .join(' ')
    .split(/\s+(?!m?s\b)/)
    .filter(Boolean)) {
    if (line && line.length + 1 + word.length > LINE_WIDTH) {
      wrapped.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) wrapped.push(line);
  return wrapped.join('\n');
}
