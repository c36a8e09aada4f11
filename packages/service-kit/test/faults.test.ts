import { Writable } from 'node:stream';
import { FaultSettings, type Role } from '@cheesecake/contracts';
import { Router } from 'express';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NO_FAULTS } from '../src/faults.js';
import {
  createServiceApp,
  type Database,
  FAULT_MIGRATIONS,
  FaultInjection,
  type Logger,
  ServiceMetrics,
} from '../src/index.js';
import {
  expectProblem,
  internalCredential,
  openTestDatabase,
  silentLogger,
} from '../src/testing.js';
import { scrape, testAppBasics } from './support.js';

// One database for the file; each test starts with no faults stored in it.
let db: Database;

beforeAll(async () => {
  db = await openTestDatabase([FAULT_MIGRATIONS]);
});
afterAll(() => db.close());
beforeEach(async () => {
  await db.query('delete from fault_settings');
});

/** A replica of a notes service on `database`: its faults are shared by every replica there. */
function faultyApp(database: Database = db, log: Logger = silentLogger()) {
  const metrics = new ServiceMetrics();
  const faults = new FaultInjection({ service: 'notes', db: database, log, metrics });
  const router = Router();
  router.get('/notes', (_req, res) => {
    res.json({ items: [] });
  });
  const app = createServiceApp({
    ...testAppBasics('notes', ['gateway', 'order']),
    readiness: async () => ({}),
    routes: [router],
    metrics,
    faults,
  });
  return { app, faults };
}

type FaultyApp = ReturnType<typeof faultyApp>['app'];

const asGatewayFor = (role: Role) =>
  internalCredential({
    issuer: 'gateway',
    audience: 'notes',
    user: { id: `usr_${role}`, role },
  });

const injected = async (app: FaultyApp, kind: string) =>
  scrape((await request(app).get('/metrics')).text).count('injected_faults_total', { kind });

const getNotes = (app: FaultyApp) => request(app).get('/notes').use(asGatewayFor('customer'));

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks `app` for its notes until it answers `status`, as it does once it has read the faults. */
async function untilAnswered(app: FaultyApp, status: number): Promise<void> {
  while ((await getNotes(app)).status !== status) await pause(20);
}

const failureRatioOf = async (app: FaultyApp) =>
  scrape((await request(app).get('/metrics')).text).count('injected_fault_failure_ratio');

/** `database`, except that its queries fail while `down`, as when the server is gone; counted. */
function breakable(database: Database) {
  const state = { down: false, refused: 0 };
  const query = <Row>(sql: string, params?: unknown[]) => {
    if (!state.down) return database.query<Row>(sql, params);
    state.refused += 1;
    return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
  };
  return { db: { ...database, query }, state };
}

/** A logger that keeps the messages it writes. */
function capturedLog() {
  const messages: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        messages.push(JSON.parse(line).msg);
      }
      callback();
    },
  });
  return { log: pino({ level: 'info' }, stream), messages };
}

describe('FaultInjection', () => {
  it('answers 503 to every request when the failure rate is 1, saying the fault was injected', async () => {
    const { app, faults } = faultyApp();
    await faults.set({ failureRate: 1, latencyMs: 0 });

    const res = await getNotes(app);

    const problem = expectProblem(res, 503, 'service-unavailable');
    expect(problem).toMatchObject({ service: 'notes', injected: true });
    expect(problem.detail).toMatch(/fault injection/);
    expect(await injected(app, 'failure')).toBe(1);
  });

  it('answers normally and counts nothing while off', async () => {
    const { app } = faultyApp();

    const res = await getNotes(app);

    expect(res.status).toBe(200);
    expect(await injected(app, 'failure')).toBe(0);
    expect(await injected(app, 'latency')).toBe(0);
  });

  it('adds the latency to a request it then answers, and counts it', async () => {
    const { app, faults } = faultyApp();
    await faults.set({ failureRate: 0, latencyMs: 5 });

    const res = await getNotes(app);

    expect(res.status).toBe(200);
    expect(await injected(app, 'latency')).toBe(1);
    expect(await injected(app, 'failure')).toBe(0);
  });

  it('returns the settings as gauges', async () => {
    const { app, faults } = faultyApp();
    await faults.set({ failureRate: 0.25, latencyMs: 1_500 });

    const metrics = scrape((await request(app).get('/metrics')).text);

    expect(metrics.count('injected_fault_failure_ratio')).toBe(0.25);
    expect(metrics.count('injected_fault_latency_seconds')).toBe(1.5);
  });

  it('never touches health, metrics or the ops routes, so faults can be switched off', async () => {
    const { app, faults } = faultyApp();
    await faults.set({ failureRate: 1, latencyMs: 0 });

    const health = await request(app).get('/healthz');
    const readiness = await request(app).get('/readyz');
    const metrics = await request(app).get('/metrics');
    const off = await request(app)
      .put('/ops/faults')
      .use(asGatewayFor('admin'))
      .send({ failureRate: 0, latencyMs: 0 });
    const after = await getNotes(app);

    expect([health.status, readiness.status, metrics.status, off.status]).toEqual([
      200, 200, 200, 200,
    ]);
    expect(after.status).toBe(200);
  });

  it('injects a fault set through one replica into the requests of another on the same database', async () => {
    const [first, second] = [faultyApp(), faultyApp()];
    // The second has read the settings, none yet, and keeps them for a while.
    const before = await getNotes(second.app);

    await first.faults.set({ failureRate: 1, latencyMs: 0 });
    await untilAnswered(second.app, 503);

    expect(before.status).toBe(200);
    expect(second.faults.settings).toEqual({ failureRate: 1, latencyMs: 0 });
    expect(await failureRatioOf(second.app)).toBe(1);
  });

  it('switches the fault off on every replica when zeros are set through any of them', async () => {
    const [first, second] = [faultyApp(), faultyApp()];
    await first.faults.set({ failureRate: 1, latencyMs: 0 });
    await untilAnswered(second.app, 503);

    const off = await request(second.app)
      .put('/ops/faults')
      .use(asGatewayFor('admin'))
      .send({ failureRate: 0, latencyMs: 0 });
    await untilAnswered(first.app, 200);

    expect(off.status).toBe(200);
    expect((await getNotes(second.app)).status).toBe(200);
    expect([first.faults.settings, second.faults.settings]).toEqual([NO_FAULTS, NO_FAULTS]);
    expect([await failureRatioOf(first.app), await failureRatioOf(second.app)]).toEqual([0, 0]);
  });

  it('keeps injecting the last settings while the database cannot be read, warns once, and reads them again once it can', async () => {
    const { log, messages } = capturedLog();
    const database = breakable(db);
    const first = faultyApp();
    const second = faultyApp(database.db, log);
    await first.faults.set({ failureRate: 1, latencyMs: 0 });
    await untilAnswered(second.app, 503);

    database.state.down = true;
    const whileDown: number[] = [];
    while (database.state.refused < 2) {
      whileDown.push((await getNotes(second.app)).status);
      await pause(20);
    }
    database.state.down = false;
    await first.faults.set(NO_FAULTS);
    await untilAnswered(second.app, 200);

    expect(new Set(whileDown)).toEqual(new Set([503]));
    expect(second.faults.settings).toEqual(NO_FAULTS);
    const readFailures = messages.filter((message) => message.startsWith('cannot read'));
    expect(readFailures).toHaveLength(1);
    expect(messages).toContain('fault settings read again');
    expect(messages.at(-1)).toBe('fault injection off');
  });
});

describe('PUT /ops/faults', () => {
  it('sets the faults when the gateway calls for an admin, and returns them', async () => {
    const { app, faults } = faultyApp();

    const res = await request(app)
      .put('/ops/faults')
      .use(asGatewayFor('admin'))
      .send({ failureRate: 0.5, latencyMs: 200 });

    expect(res.status).toBe(200);
    expect(FaultSettings.parse(res.body)).toEqual({ failureRate: 0.5, latencyMs: 200 });
    expect(faults.settings).toEqual({ failureRate: 0.5, latencyMs: 200 });
  });

  it('returns 403 for a user who is not an admin, or for a call from another service', async () => {
    const { app, faults } = faultyApp();
    const callers = [
      asGatewayFor('kitchen'),
      asGatewayFor('customer'),
      internalCredential({
        issuer: 'order',
        audience: 'notes',
        user: { id: 'usr_admin', role: 'admin' },
      }),
    ];

    for (const authorization of callers) {
      const res = await request(app)
        .put('/ops/faults')
        .use(authorization)
        .send({ failureRate: 1, latencyMs: 0 });

      expectProblem(res, 403, 'forbidden');
    }
    expect(faults.settings).toEqual(NO_FAULTS);
  });

  it('returns 400 for a failure rate over 1', async () => {
    const { app } = faultyApp();

    const res = await request(app)
      .put('/ops/faults')
      .use(asGatewayFor('admin'))
      .send({ failureRate: 2, latencyMs: 0 });

    expectProblem(res, 400, 'validation');
  });
});
