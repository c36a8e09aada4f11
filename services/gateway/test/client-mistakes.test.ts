import { Writable } from 'node:stream';
import { expectProblem } from '@cheesecake/service-kit/testing';
import { pino } from 'pino';
import request from 'supertest';
import { describe, expect, it, onTestFinished } from 'vitest';
import { signIn, startSystem } from './support.js';

function capturedLog() {
  const entries: Array<{ level: number; res?: { statusCode: number } }> = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n').filter(Boolean)) entries.push(JSON.parse(line));
      callback();
    },
  });
  return { log: pino({ level: 'info' }, stream), entries };
}

const WARN = 40;
const ERROR = 50;

describe('POST /api/orders with a body that is not application/json', () => {
  it.each(['application/merge-patch+json', 'application/problem+json', 'text/plain'])(
    'returns 415 for %s and calls no service',
    async (contentType) => {
      const system = await startSystem();
      onTestFinished(() => system.close());
      const alice = await signIn(system.gateway, 'alice');

      const res = await request(system.gateway)
        .post('/api/orders')
        .set('authorization', alice)
        .set('content-type', contentType)
        .send('{"items":[{"menuItemId":"new-york-cheesecake","quantity":1}]}');

      expectProblem(res, 415, 'unsupported-media-type');
      expect(system.order.calls).toEqual([]);
    },
  );
});

describe('what the gateway logs', () => {
  it('logs a downstream that is down as a warning without a stack, never as an error', async () => {
    const { log, entries } = capturedLog();
    const system = await startSystem({}, {}, log);
    onTestFinished(() => system.close());
    const alice = await signIn(system.gateway, 'alice');
    await system.order.close();

    const res = await request(system.gateway).get('/api/orders').set('authorization', alice);

    expectProblem(res, 503, 'service-unavailable');
    const request503 = entries.find((entry) => entry.res?.statusCode === 503);
    expect(request503?.level).toBe(WARN);
    expect(entries.filter((entry) => entry.level >= ERROR)).toEqual([]);
    expect(entries.filter((entry) => JSON.stringify(entry).includes('"stack"'))).toEqual([]);
  });

  it('logs a client mistake as a warning', async () => {
    const { log, entries } = capturedLog();
    const system = await startSystem({}, {}, log);
    onTestFinished(() => system.close());

    const res = await request(system.gateway)
      .post('/api/auth/token')
      .set('content-type', 'application/json')
      .send('{"username": ');

    expectProblem(res, 400, 'malformed-json');
    expect(entries.find((entry) => entry.res?.statusCode === 400)?.level).toBe(WARN);
    expect(entries.filter((entry) => entry.level >= ERROR)).toEqual([]);
  });
});
