import { TokenResponse } from '@cheesecake/contracts';
import { expectProblem } from '@cheesecake/service-kit/testing';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startSystem, type TestSystem } from './support.js';

describe('POST /api/auth/token', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await startSystem({}, { TOKEN_TTL_SECONDS: '900', BODY_LIMIT: '1kb' });
  });
  afterAll(() => system.close());

  it('returns a signed HS256 token naming the user and their role for the right password', async () => {
    const res = await request(system.gateway)
      .post('/api/auth/token')
      .send({ username: 'kai', password: 'cheesecake' });

    expect(res.status).toBe(200);
    const token = TokenResponse.parse(res.body);
    expect(token).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(decodeProtectedHeader(token.access_token).alg).toBe('HS256');
    const claims = decodeJwt(token.access_token);
    expect(claims).toMatchObject({
      iss: 'cheesecake-gateway',
      aud: 'cheesecake-api',
      sub: 'usr_kai',
      role: 'kitchen',
      name: 'Kai',
    });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(900);
  });

  it('returns 401 invalid-credentials for a wrong password', async () => {
    const res = await request(system.gateway)
      .post('/api/auth/token')
      .send({ username: 'alice', password: 'not-the-password' });

    const problem = expectProblem(res, 401, 'invalid-credentials');
    expect(problem.requestId).toBe(res.headers['x-request-id']);
  });

  it('returns the same 401 for an unknown user as for a wrong password', async () => {
    const unknown = await request(system.gateway)
      .post('/api/auth/token')
      .send({ username: 'mallory', password: 'cheesecake' });
    const wrongPassword = await request(system.gateway)
      .post('/api/auth/token')
      .send({ username: 'alice', password: 'cheesecak' });

    const unknownProblem = expectProblem(unknown, 401, 'invalid-credentials');
    const wrongPasswordProblem = expectProblem(wrongPassword, 401, 'invalid-credentials');
    expect(unknownProblem.detail).toBe(wrongPasswordProblem.detail);
  });

  it('returns 400 listing the failed checks of a body that breaks the contract', async () => {
    const res = await request(system.gateway)
      .post('/api/auth/token')
      .send({ username: '', scope: 'admin' });

    const problem = expectProblem(res, 400, 'validation');
    expect(problem.errors?.map((issue) => issue.path).sort()).toEqual([
      'body',
      'body.password',
      'body.username',
    ]);
  });

  it('returns 400 for malformed JSON', async () => {
    const res = await request(system.gateway)
      .post('/api/auth/token')
      .set('content-type', 'application/json')
      .send('{"username": "alice",');

    expectProblem(res, 400, 'malformed-json');
  });

  it('returns 415 for a body that is not JSON', async () => {
    const res = await request(system.gateway)
      .post('/api/auth/token')
      .type('form')
      .send('username=alice&password=cheesecake');

    expectProblem(res, 415, 'unsupported-media-type');
  });

  it('returns 413 for a body over BODY_LIMIT', async () => {
    const res = await request(system.gateway)
      .post('/api/auth/token')
      .send({ username: 'alice', password: 'x'.repeat(2_000) });

    expectProblem(res, 413, 'payload-too-large');
  });
});

describe('POST /api/auth/token with DEMO_PASSWORD set', () => {
  it('accepts the configured password and refuses the development default', async () => {
    const system = await startSystem({}, { DEMO_PASSWORD: 'correct horse battery staple' });
    onTestFinished(() => system.close());

    const configured = await request(system.gateway)
      .post('/api/auth/token')
      .send({ username: 'bob', password: 'correct horse battery staple' });
    const developmentDefault = await request(system.gateway)
      .post('/api/auth/token')
      .send({ username: 'bob', password: 'cheesecake' });

    expect(configured.status).toBe(200);
    expect(decodeJwt(TokenResponse.parse(configured.body).access_token).sub).toBe('usr_bob');
    expectProblem(developmentDefault, 401, 'invalid-credentials');
  });
});
