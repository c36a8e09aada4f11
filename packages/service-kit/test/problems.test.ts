import { Writable } from 'node:stream';
import { problemTypes } from '@cheesecake/contracts';
import { Router } from 'express';
import { pino } from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { InjectedFaultError } from '../src/faults.js';
import { createServiceApp, ProblemError, UpstreamUnavailableError } from '../src/index.js';

const WARN = 40;
const ERROR = 50;

interface Entry {
  level: number;
  msg: string;
  problem?: string;
  downstream?: string;
  injected?: boolean;
  res?: { statusCode: number };
}

function capturedLog() {
  const entries: Entry[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n').filter(Boolean)) entries.push(JSON.parse(line));
      callback();
    },
  });
  return { log: pino({ level: 'info' }, stream), entries };
}

/** Answers `GET /fail` by throwing `error`, and what the app logged about it. */
async function logsOf(error: ProblemError) {
  const { log, entries } = capturedLog();
  const router = Router();
  router.get('/fail', () => {
    throw error;
  });
  const app = createServiceApp({
    log,
    bodyLimit: '1kb',
    readiness: async () => ({}),
    routes: [router],
  });
  const res = await request(app).get('/fail');
  expect(res.status).toBe(error.status);
  const problemLine = entries.find((entry) => entry.problem !== undefined);
  const requestLine = entries.find((entry) => entry.res !== undefined);
  return { entries, problemLine, requestLine };
}

describe('the error middleware, on a 5xx problem', () => {
  it('logs a downstream failure passed on as one, naming the downstream', async () => {
    const { entries, problemLine } = await logsOf(
      new UpstreamUnavailableError('payment', 'its circuit is open'),
    );

    expect(problemLine).toMatchObject({
      level: WARN,
      msg: 'downstream failure passed on',
      problem: 'service-unavailable',
      downstream: 'payment',
    });
    expect(entries.filter((entry) => entry.level >= ERROR)).toEqual([]);
    expect(entries.filter((entry) => JSON.stringify(entry).includes('"stack"'))).toEqual([]);
  });

  it('logs an injected fault as one, not as a downstream failure', async () => {
    const { problemLine } = await logsOf(new InjectedFaultError('notes'));

    expect(problemLine).toMatchObject({ level: WARN, msg: 'injected fault', injected: true });
    expect(problemLine).not.toHaveProperty('downstream');
  });

  it("logs this service's own 5xx as its own, and its request as an error when it is a 500", async () => {
    const { problemLine, requestLine } = await logsOf(
      new ProblemError(problemTypes.internal, 'The handshake failed'),
    );

    expect(problemLine).toMatchObject({
      level: WARN,
      msg: 'failure of this service',
      problem: 'internal',
    });
    expect(problemLine).not.toHaveProperty('downstream');
    expect(requestLine?.level).toBe(ERROR);
  });
});
