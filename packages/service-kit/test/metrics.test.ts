import { Router } from 'express';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createServiceApp,
  type Database,
  enqueue,
  OUTBOX_MIGRATIONS,
  ServiceMetrics,
} from '../src/index.js';
import { internalCredential, openTestDatabase, silentLogger } from '../src/testing.js';
import { scrape, testAppBasics } from './support.js';

function notesApp(options: { metrics: ServiceMetrics; db?: Database }) {
  const router = Router();
  router.get('/notes/:noteId', (req, res) => {
    res.json({ id: req.params.noteId });
  });
  return createServiceApp({
    ...testAppBasics('notes'),
    readiness: async () => ({}),
    routes: [router],
    metrics: options.metrics,
    outbox: options.db && { db: options.db, relay: { wake: () => {} } },
  });
}

const asGateway = () => internalCredential({ issuer: 'gateway', audience: 'notes' });

describe('GET /metrics', () => {
  it('returns request durations by method, route pattern and status, to a caller without a credential', async () => {
    const app = notesApp({ metrics: new ServiceMetrics() });
    await request(app).get('/notes/n1').use(asGateway());
    await request(app).get('/notes/n2').use(asGateway());
    await request(app).get('/nowhere/n3').use(asGateway());

    const res = await request(app).get('/metrics');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const metrics = scrape(res.text);
    const matched = { method: 'GET', route: '/notes/:noteId', status: '200' };
    const unmatched = { method: 'GET', route: '(unmatched)', status: '404' };
    expect(metrics.count('http_request_duration_seconds_count', matched)).toBe(2);
    expect(metrics.count('http_request_duration_seconds_count', unmatched)).toBe(1);
    expect(res.text).not.toMatch(/n1|n2|n3/);
    expect(res.text).toContain('process_cpu_user_seconds_total');
  });

  describe('with an outbox', () => {
    let db: Database;

    beforeEach(async () => {
      db = await openTestDatabase([OUTBOX_MIGRATIONS]);
    });
    afterEach(() => db.close());

    it('returns the pending and dead messages of the outbox, counted when scraped', async () => {
      const app = notesApp({ metrics: new ServiceMetrics(), db });
      const before = scrape((await request(app).get('/metrics')).text);
      await db.transaction(async (tx) => {
        await enqueue(tx, { destination: 'kitchen', payload: {} });
        await enqueue(tx, { destination: 'kitchen', payload: {} });
        const dead = await enqueue(tx, { destination: 'kitchen', payload: {} });
        await tx.query(`update outbox set status = 'dead' where id = $1`, [dead]);
      });

      const after = scrape((await request(app).get('/metrics')).text);

      expect(before.count('outbox_messages', { status: 'pending' })).toBe(0);
      expect(after.count('outbox_messages', { status: 'pending' })).toBe(2);
      expect(after.count('outbox_messages', { status: 'dead' })).toBe(1);
    });

    it('returns how long the oldest pending message has waited, and 0 once none waits', async () => {
      const app = notesApp({ metrics: new ServiceMetrics(), db });
      const empty = scrape((await request(app).get('/metrics')).text);
      const id = await db.transaction((tx) => enqueue(tx, { destination: 'kitchen', payload: {} }));
      await db.query(`update outbox set created_at = now() - interval '90 seconds' where id = $1`, [
        id,
      ]);

      const waiting = scrape((await request(app).get('/metrics')).text);
      await db.query(`update outbox set status = 'delivered' where id = $1`, [id]);
      const delivered = scrape((await request(app).get('/metrics')).text);

      expect(empty.count('outbox_oldest_pending_age_seconds')).toBe(0);
      expect(waiting.count('outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(90);
      expect(delivered.count('outbox_oldest_pending_age_seconds')).toBe(0);
    });
  });

  it('returns each circuit breaker in its current state', async () => {
    const metrics = new ServiceMetrics();
    const app = notesApp({ metrics });
    metrics.breakerChanged('payment', 'open');
    metrics.breakerChanged('payment', 'half-open');

    const res = scrape((await request(app).get('/metrics')).text);

    expect(res.count('circuit_breaker_state', { downstream: 'payment', state: 'half-open' })).toBe(
      1,
    );
    expect(res.count('circuit_breaker_state', { downstream: 'payment', state: 'open' })).toBe(0);
    expect(res.count('circuit_breaker_state', { downstream: 'payment', state: 'closed' })).toBe(0);
  });

  it('is not served without metrics', async () => {
    const app = createServiceApp({
      log: silentLogger(),
      bodyLimit: '1kb',
      readiness: async () => ({}),
      routes: [],
    });

    const res = await request(app).get('/metrics');

    expect(res.status).toBe(404);
  });
});
