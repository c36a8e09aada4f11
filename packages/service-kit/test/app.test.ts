import { defineEndpoint, Problem, problemResponses } from '@cheesecake/contracts';
import { Router } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createServiceApp, handle, ProblemError, requireUser } from '../src/index.js';
import { internalCredential } from '../src/testing.js';
import { testAppBasics } from './support.js';

const Note = z.object({ id: z.string(), text: z.string(), author: z.string() });
const createNote = defineEndpoint({
  method: 'POST',
  path: '/notes/:noteId',
  summary: 'Write a note',
  params: z.strictObject({ noteId: z.string().regex(/^n\d+$/) }),
  body: z.strictObject({ text: z.string().min(1) }),
  responses: { 201: Note, ...problemResponses(400, 401, 403) },
});

function testApp(options: { ready?: boolean } = {}) {
  const router = Router();
  handle(router, createNote, async ({ params, body }, { caller }) => {
    const user = requireUser(caller, ['customer']);
    return {
      status: 201,
      body: { id: params.noteId, text: body.text, author: user.id },
      headers: { location: `/notes/${params.noteId}` },
    };
  });
  router.get('/boom', () => {
    throw new Error('database password is hunter2');
  });
  router.get('/teapot', () => {
    throw new ProblemError(
      { code: 'teapot', status: 418, title: 'I am a teapot' },
      'Short and stout',
      { spout: 1 },
    );
  });
  return createServiceApp({
    ...testAppBasics('notes'),
    readiness: async () => ({ database: options.ready ?? true }),
    routes: [router],
  });
}

const asAlice = () =>
  internalCredential({
    issuer: 'gateway',
    audience: 'notes',
    user: { id: 'usr_alice', role: 'customer' },
  });

const expectProblem = (res: request.Response, status: number, code: string) => {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = Problem.parse(res.body);
  expect(problem.type).toBe(`urn:cheesecake:problem:${code}`);
  expect(problem.requestId).toBe(res.headers['x-request-id']);
  return problem;
};

describe('createServiceApp', () => {
  it('runs a handler with the validated request and the caller, and sends its answer', async () => {
    const res = await request(testApp()).post('/notes/n1').use(asAlice()).send({ text: 'hello' });

    expect(res.status).toBe(201);
    expect(Note.parse(res.body)).toEqual({ id: 'n1', text: 'hello', author: 'usr_alice' });
    expect(res.headers.location).toBe('/notes/n1');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('answers 400 listing every failed check of params and body', async () => {
    const res = await request(testApp())
      .post('/notes/x')
      .use(asAlice())
      .send({ text: '', extra: true });

    const problem = expectProblem(res, 400, 'validation');
    expect(problem.errors?.map((issue) => issue.path).sort()).toEqual([
      'body',
      'body.text',
      'params.noteId',
    ]);
  });

  it('answers 400 to malformed JSON', async () => {
    const res = await request(testApp())
      .post('/notes/n1')
      .use(asAlice())
      .set('content-type', 'application/json')
      .send('{"text": ');

    expectProblem(res, 400, 'malformed-json');
  });

  it('answers 415 to a body that is not JSON', async () => {
    const res = await request(testApp())
      .post('/notes/n1')
      .use(asAlice())
      .set('content-type', 'text/plain')
      .send('hello');

    expectProblem(res, 415, 'unsupported-media-type');
  });

  it('answers 413 to a body over the limit', async () => {
    const res = await request(testApp())
      .post('/notes/n1')
      .use(asAlice())
      .send({ text: 'x'.repeat(2_000) });

    expectProblem(res, 413, 'payload-too-large');
  });

  it('answers 401 without an internal credential, or with one signed by another secret or for another service', async () => {
    const forged = `${asAlice().for('POST', '/notes/n1').split('.').slice(0, 2).join('.')}.c2lnbmF0dXJl`;
    const otherAudience = internalCredential({ issuer: 'gateway', audience: 'payment' }).for(
      'POST',
      '/notes/n1',
    );

    for (const authorization of [undefined, 'Bearer nonsense', forged, otherAudience]) {
      const req = request(testApp()).post('/notes/n1');
      if (authorization) req.set('authorization', authorization);
      expectProblem(await req.send({ text: 'hello' }), 401, 'unauthenticated');
    }
  });

  it('answers 403 when the user has another role', async () => {
    const kitchen = internalCredential({
      issuer: 'gateway',
      audience: 'notes',
      user: { id: 'usr_kai', role: 'kitchen' },
    });

    const res = await request(testApp()).post('/notes/n1').use(kitchen).send({ text: 'hello' });

    expectProblem(res, 403, 'forbidden');
  });

  it('answers 400 to a path that is not valid percent-encoding', async () => {
    const res = await request(testApp()).post('/notes/%ZZ').use(asAlice()).send({ text: 'hello' });

    expectProblem(res, 400, 'bad-request');
  });

  it('answers 400 to a body that does not decompress as its Content-Encoding says', async () => {
    const res = await request(testApp())
      .post('/notes/n1')
      .use(asAlice())
      .set('content-type', 'application/json')
      .set('content-encoding', 'br')
      .send('{"text":"hello"}');

    expectProblem(res, 400, 'bad-request');
  });

  it('answers 404 as a problem for an unknown route', async () => {
    const res = await request(testApp()).get('/nothing-here').use(asAlice());

    expectProblem(res, 404, 'not-found');
  });

  it('renders a ProblemError with its extensions', async () => {
    const res = await request(testApp()).get('/teapot').use(asAlice());

    const problem = expectProblem(res, 418, 'teapot');
    expect(problem).toMatchObject({ detail: 'Short and stout', spout: 1 });
  });

  it('answers 500 to an unexpected error without revealing it', async () => {
    const res = await request(testApp()).get('/boom').use(asAlice());

    const problem = expectProblem(res, 500, 'internal');
    expect(JSON.stringify(problem)).not.toContain('hunter2');
  });

  it('keeps a well-formed X-Request-Id and replaces a malformed one', async () => {
    const kept = await request(testApp()).get('/healthz').set('x-request-id', 'abc-123');
    const replaced = await request(testApp())
      .get('/healthz')
      .set('x-request-id', 'bad id\twith spaces');

    expect(kept.headers['x-request-id']).toBe('abc-123');
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('GET /readyz', () => {
  it('answers 200 when every check passes, without a credential', async () => {
    const res = await request(testApp()).get('/readyz');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', checks: { database: 'ok', accepting: 'ok' } });
  });

  it('answers 503 when a check fails', async () => {
    const res = await request(testApp({ ready: false })).get('/readyz');

    expect(res.status).toBe(503);
    expect(res.body.checks.database).toBe('unavailable');
  });

  it('answers 503 once the app is draining for shutdown', async () => {
    const app = testApp();
    app.locals.draining = true;

    const res = await request(app).get('/readyz');

    expect(res.status).toBe(503);
    expect(res.body.checks.accepting).toBe('unavailable');
  });
});
