import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Menu, OrderPage } from '@cheesecake/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, expectBody, expectProblem, GatewayClient } from './support/client.js';
import { redisAvailable, TestRedis } from './support/redis.js';
import { type Stack, startStack } from './support/stack.js';

const onCompose = process.env.E2E_STACK === 'compose';
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUDGET = 30;

/** The sum of a metric's series on a gateway's /metrics; 0 when it has none. */
async function totalOf(gatewayUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((entry) => entry.startsWith(`${name}{`) || entry.startsWith(`${name} `))
    .reduce((sum, entry) => sum + Number(entry.split(' ').at(-1)), 0);
}

const bothReachRedis = (gateways: string[]) =>
  eventually(
    () => Promise.all(gateways.map((url) => totalOf(url, 'rate_limit_store_up'))),
    (values) => values.every((value) => value === 1),
  );

describe.skipIf(onCompose || !redisAvailable())('two gateways sharing one Redis', () => {
  let redis: TestRedis;
  let stack: Stack;
  let gateways: string[];

  beforeAll(async () => {
    redis = await TestRedis.start();
    const env = { REDIS_URL: redis.url, RATE_LIMIT_PER_MINUTE: String(BUDGET) };
    stack = await startStack(env);
    gateways = [stack.gatewayUrl, await stack.startGateway(env)];
    await bothReachRedis(gateways);
  });
  afterAll(async () => {
    await stack?.stop();
    await redis?.kill();
  });

  it('keeps one budget per user, whichever gateway a request reaches', async () => {
    const [first, second] = gateways.map((url) => new GatewayClient(url)) as [
      GatewayClient,
      GatewayClient,
    ];
    const alice = await first.as('alice');
    const aliceThere = new GatewayClient(second.baseUrl, alice.token);

    const answers = [];
    for (let call = 0; call < BUDGET + 6; call += 1) {
      answers.push(await (call % 2 === 0 ? alice : aliceThere).get('/api/orders'));
    }

    expect(answers.slice(0, BUDGET).map((answer) => answer.status)).toEqual(
      Array(BUDGET).fill(200),
    );
    expectBody(answers[0] as (typeof answers)[number], 200, OrderPage);
    for (const refused of answers.slice(BUDGET)) expectProblem(refused, 429, 'rate-limited');
  });

  it('keeps both gateways serving while Redis is down, and shares again once it is back', async () => {
    await redis.kill();

    const whileDown = await Promise.all(
      gateways.map(async (url) => (await new GatewayClient(url).as('bob')).get('/api/menu')),
    );
    const errors = await Promise.all(
      gateways.map((url) => totalOf(url, 'rate_limit_store_errors_total')),
    );
    await redis.restart();
    await bothReachRedis(gateways);
    const bob = await new GatewayClient(gateways[0] as string).as('bob');
    const afterwards = await bob.get('/api/menu');

    for (const answer of whileDown) expectBody(answer, 200, Menu);
    for (const count of errors) expect(count).toBeGreaterThan(0);
    expectBody(afterwards, 200, Menu);
    expect(afterwards.headers.get('ratelimit')).toMatch(new RegExp(`r=${BUDGET - 1};`));
  });
});

/** GETs `path` over HTTPS, trusting only `ca`, and resolves to the status and headers. */
function getOverTls(url: string, ca: Buffer) {
  return new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
    httpsGet(url, { ca }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    }).on('error', reject);
  });
}

describe.skipIf(onCompose)('the gateway with TLS_CERT_FILE and TLS_KEY_FILE', () => {
  let stack: Stack;
  let certificates: string;

  beforeAll(async () => {
    certificates = mkdtempSync(join(tmpdir(), 'cheesecake-tls-'));
    execFileSync('bash', [join(REPO_ROOT, 'scripts', 'dev-certificate.sh'), certificates]);
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
    rmSync(certificates, { recursive: true, force: true });
  });

  it('answers over HTTPS only, with Strict-Transport-Security', async () => {
    const url = await stack.startGateway({
      TLS_CERT_FILE: join(certificates, 'cert.pem'),
      TLS_KEY_FILE: join(certificates, 'key.pem'),
    });
    const ca = readFileSync(join(certificates, 'cert.pem'));

    const menu = await getOverTls(`${url}/api/menu`, ca);
    const plain = await fetch(url.replace('https:', 'http:')).then(
      () => 'answered',
      () => 'refused',
    );

    expect(menu.status).toBe(200);
    expect(menu.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(plain).toBe('refused');
  });
});
