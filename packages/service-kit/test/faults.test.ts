import { FaultSettings, type Role } from '@cheesecake/contracts';
import { Router } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createServiceApp, FaultInjection, ServiceMetrics } from '../src/index.js';
import { expectProblem, internalCredential, silentLogger } from '../src/testing.js';
import { scrape, testAppBasics } from './support.js';

const log = silentLogger();

function faultyApp() {
  const metrics = new ServiceMetrics();
  const faults = new FaultInjection({ service: 'notes', log, metrics });
  const router = Router();
  router.get('/notes', (_req, res) => {
    res.json({ items: [] });
  });
  const app = createServiceApp({
    ...testAppBasics('notes', ['gateway', 'order']),
    log,
    readiness: async () => ({}),
    routes: [router],
    metrics,
    faults,
  });
  return { app, faults };
}

const asGatewayFor = (role: Role) =>
  internalCredential({
    issuer: 'gateway',
    audience: 'notes',
    user: { id: `usr_${role}`, role },
  });

const injected = async (app: ReturnType<typeof faultyApp>['app'], kind: string) =>
  scrape((await request(app).get('/metrics')).text).count('injected_faults_total', { kind });

describe('fault injection', () => {
  it('answers 503 to every request when the failure rate is 1, saying the fault was injected', async () => {
    const { app, faults } = faultyApp();
    faults.set({ failureRate: 1, latencyMs: 0 });

    const res = await request(app).get('/notes').use(asGatewayFor('customer'));

    const problem = expectProblem(res, 503, 'service-unavailable');
    expect(problem).toMatchObject({ service: 'notes', injected: true });
    expect(problem.detail).toMatch(/fault injection/);
    expect(await injected(app, 'failure')).toBe(1);
  });

  it('answers normally and counts nothing while off', async () => {
    const { app } = faultyApp();

    const res = await request(app).get('/notes').use(asGatewayFor('customer'));

    expect(res.status).toBe(200);
    expect(await injected(app, 'failure')).toBe(0);
    expect(await injected(app, 'latency')).toBe(0);
  });

  it('adds the latency to a request it then answers, and counts it', async () => {
    const { app, faults } = faultyApp();
    faults.set({ failureRate: 0, latencyMs: 5 });

    const res = await request(app).get('/notes').use(asGatewayFor('customer'));

    expect(res.status).toBe(200);
    expect(await injected(app, 'latency')).toBe(1);
    expect(await injected(app, 'failure')).toBe(0);
  });

  it('returns the settings as gauges', async () => {
    const { app, faults } = faultyApp();
    faults.set({ failureRate: 0.25, latencyMs: 1_500 });

    const metrics = scrape((await request(app).get('/metrics')).text);

    expect(metrics.count('injected_fault_failure_ratio')).toBe(0.25);
    expect(metrics.count('injected_fault_latency_seconds')).toBe(1.5);
  });

  it('never touches health, metrics or the ops routes, so faults can be switched off', async () => {
    const { app, faults } = faultyApp();
    faults.set({ failureRate: 1, latencyMs: 0 });

    const health = await request(app).get('/healthz');
    const readiness = await request(app).get('/readyz');
    const metrics = await request(app).get('/metrics');
    const off = await request(app)
      .put('/ops/faults')
      .use(asGatewayFor('admin'))
      .send({ failureRate: 0, latencyMs: 0 });
    const after = await request(app).get('/notes').use(asGatewayFor('customer'));

    expect([health.status, readiness.status, metrics.status, off.status]).toEqual([
      200, 200, 200, 200,
    ]);
    expect(after.status).toBe(200);
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
    expect(faults.settings).toEqual({ failureRate: 0, latencyMs: 0 });
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
