import { readFileSync } from 'node:fs';
import { Order } from '@cheesecake/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, expectBody, GatewayClient } from './support/client.js';
import { SERVICES, type Stack, startStack } from './support/stack.js';

const OBSERVABILITY = new URL('../../deploy/observability/', import.meta.url);

interface Dashboard {
  panels: { title: string; targets?: { expr: string }[] }[];
}

/** Every PromQL expression of the Grafana dashboard and the alert rules. */
function expressions(): string[] {
  const dashboard = JSON.parse(
    readFileSync(new URL('grafana/dashboards/cheesecake.json', OBSERVABILITY), 'utf8'),
  ) as Dashboard;
  const fromPanels = dashboard.panels.flatMap((panel) => panel.targets ?? []).map((t) => t.expr);
  const rules = readFileSync(new URL('prometheus/alerts.yml', OBSERVABILITY), 'utf8');
  // Each rule's expr, on its own line or as a block of the lines indented below it.
  const fromRules = [...rules.matchAll(/expr: (?:\|\n((?:\s{10}.*\n)+)|(.*)\n)/g)].map(
    ([, block, line]) => block ?? line ?? '',
  );
  return [...fromPanels, ...fromRules];
}

const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'by', 'on', 'without', 'ignoring', 'le']);

/** The metric names an expression reads: what is left without functions, labels and ranges. */
function metricNames(expression: string): string[] {
  const bare = expression
    .replace(/\b(by|on|without|ignoring)\s*\([^)]*\)/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/"[^"]*"/g, ' ');
  return [...bare.matchAll(/([a-z_:][a-z0-9_:]*)(\s*\()?/g)]
    .filter(([name, , call]) => !call && !PROMQL_WORDS.has(name ?? ''))
    .map(([name]) => name ?? '');
}

const cheesecake = { items: [{ menuItemId: 'new-york-cheesecake', quantity: 1 }] };

describe('the dashboard and the alert rules', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it('read only metrics that the services serve at /metrics once an order is READY', async () => {
    const alice = await new GatewayClient(stack.gatewayUrl).as('alice');
    const order = expectBody(await alice.post('/api/orders', cheesecake), 201, Order);
    await alice.post(`/api/orders/${order.id}/payment`, { paymentMethod: 'tok_visa' });
    await eventually(
      async () => expectBody(await alice.get(`/api/orders/${order.id}`), 200, Order),
      (current) => current.status === 'READY',
    );

    const scrapes = await Promise.all(
      SERVICES.map(async (service) => String((await stack.callService(service, '/metrics')).body)),
    );

    const served = new Set(
      scrapes.flatMap((text) =>
        [...text.matchAll(/^([a-z_:][a-z0-9_:]*)[{ ]/gm)].map(([, name]) => name),
      ),
    );
    const read = new Set(expressions().flatMap(metricNames));
    expect(read.size).toBeGreaterThan(8);
    expect([...read].filter((name) => !served.has(name))).toEqual([]);
  });
});
