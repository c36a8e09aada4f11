import { randomUUID } from 'node:crypto';
import {
  defineEndpoint,
  IdempotencyHeaders,
  Problem,
  problemResponses,
  problemTypes,
} from '@cheesecake/contracts';
import {
  createServiceApp,
  type Database,
  handle,
  openDatabase,
  ProblemError,
  requireInternalCredential,
  requireUser,
  runMigrations,
} from '@cheesecake/service-kit';
import {
  expectProblem,
  internalCredential,
  newTestDatabaseUrl,
  openTestDatabase,
  silentLogger,
  TEST_INTERNAL_SECRET,
  testDatabaseEngine,
} from '@cheesecake/service-kit/testing';
import { Router } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { IDEMPOTENCY_MIGRATIONS } from '../src/app.js';
import { IdempotencyKeys } from '../src/orders/idempotency-keys.js';

const Note = z.object({ id: z.string(), text: z.string(), author: z.string() });
const writeNote = defineEndpoint({
  method: 'POST',
  path: '/boards/:boardId/notes',
  summary: 'Write a note on a board',
  params: z.strictObject({ boardId: z.string() }),
  headers: IdempotencyHeaders,
  body: z.strictObject({ text: z.string().min(1), pinned: z.boolean().optional() }),
  responses: { 201: Note, ...problemResponses(400, 401, 402, 403, 409, 422, 503) },
});

/** What the handler did, and a way to hold it until the test lets it answer. */
interface Board {
  written: string[];
  /** Whether each run of the work, in the order they started, resumed an abandoned key. */
  resumed: boolean[];
  /** Resolves once the handler has started on the first request whose text is `hold`. */
  holding: Promise<void>;
  release(): void;
}

function boardApp(db: Database) {
  let started = () => {};
  let release = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const board: Board = {
    written: [],
    resumed: [],
    holding: new Promise((resolve) => {
      started = resolve;
    }),
    release,
  };
  const keys = new IdempotencyKeys({ db });
  let held = false;

  const router = Router();
  handle(router, writeNote, async ({ params, headers, body }, context) => {
    const user = requireUser(context.caller, ['customer']);
    return keys.run(
      context,
      { scope: user.id, key: headers['idempotency-key'] },
      async (attempt) => {
        board.resumed.push(attempt.resumed);
        if (body.text === 'hold' && !held) {
          held = true;
          started();
          await gate;
        }
        if (body.text === 'declined') {
          throw new ProblemError(problemTypes.paymentDeclined, 'The card was declined');
        }
        if (body.text === 'unavailable') {
          throw new ProblemError(problemTypes.serviceUnavailable, 'The board is down');
        }
        if (body.text === 'crash') throw new Error('the handler failed');
        const id = `note-${board.written.length + 1}`;
        board.written.push(id);
        return {
          status: 201,
          body: { id, text: body.text, author: user.id },
          headers: { location: `/boards/${params.boardId}/notes/${id}` },
        };
      },
    );
  });
  const app = createServiceApp({
    log: silentLogger(),
    bodyLimit: '1kb',
    authenticate: requireInternalCredential({
      secret: TEST_INTERNAL_SECRET,
      service: 'board',
      callers: ['gateway'],
    }),
    readiness: async () => ({}),
    routes: [router],
  });
  return { app, board };
}

const as = (userId: string) =>
  internalCredential({
    issuer: 'gateway',
    audience: 'board',
    user: { id: userId, role: 'customer' },
  });

/** Writes a note on a board of `app`, as `user` (alice by default), with `key` if given. */
const write = async (
  app: ReturnType<typeof boardApp>['app'],
  options: { key?: string; user?: string; board?: string; body?: unknown },
) => {
  const call = request(app)
    .post(`/boards/${options.board ?? 'b1'}/notes`)
    .use(as(options.user ?? 'usr_alice'));
  if (options.key !== undefined) call.set('idempotency-key', options.key);
  return call.send((options.body ?? { text: 'hello' }) as object);
};

describe('IdempotencyKeys', () => {
  let db: Database;

  beforeAll(async () => {
    db = await openTestDatabase([IDEMPOTENCY_MIGRATIONS]);
  });
  afterAll(() => db.close());

  const keyRows = (key: string) =>
    db.query<{ scope: string; state: string }>(
      'select scope, state from idempotency_keys where key = $1 order by scope',
      [key],
    );

  it('runs the handler once and replays its answer with Idempotent-Replayed when the key comes again', async () => {
    const { app, board } = boardApp(db);
    const key = randomUUID();

    const first = await write(app, { key });
    const second = await write(app, { key });

    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(Note.parse(second.body)).toEqual(Note.parse(first.body));
    expect(second.text).toBe(first.text);
    expect(second.headers.location).toBe(first.headers.location);
    expect(board.written).toEqual(['note-1']);
    expect(await keyRows(key)).toEqual([
      { scope: 'usr_alice POST /boards/:boardId/notes', state: 'completed' },
    ]);
  });

  it('keeps a key at least 24 hours', async () => {
    const { app } = boardApp(db);
    const key = randomUUID();

    await write(app, { key });

    const [row] = await db.query<{ hours: number }>(
      `select extract(epoch from expires_at - created_at)::float8 / 3600 as hours
       from idempotency_keys where key = $1`,
      [key],
    );
    expect(row?.hours).toBeGreaterThanOrEqual(24);
  });

  it('replays the same body with its keys in another order', async () => {
    const { app, board } = boardApp(db);
    const key = randomUUID();

    const first = await write(app, { key, body: { text: 'hello', pinned: true } });
    const second = await write(app, { key, body: { pinned: true, text: 'hello' } });

    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(board.written).toHaveLength(1);
  });

  it('replays a 4xx problem, such as a declined payment, as it was first answered', async () => {
    const { app } = boardApp(db);
    const key = randomUUID();

    const first = await write(app, { key, body: { text: 'declined' } });
    const second = await write(app, { key, body: { text: 'declined' } });

    expectProblem(first, 402, 'payment-declined');
    const replayed = expectProblem(second, 402, 'payment-declined');
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(replayed).toEqual(Problem.parse(first.body));
  });

  it('answers 422 and runs nothing when the key comes with another body', async () => {
    const { app, board } = boardApp(db);
    const key = randomUUID();
    await write(app, { key, body: { text: 'hello' } });

    const res = await write(app, { key, body: { text: 'goodbye' } });

    expectProblem(res, 422, 'idempotency-key-reused');
    expect(board.written).toEqual(['note-1']);
  });

  it('answers 422 when the key comes for another path', async () => {
    const { app, board } = boardApp(db);
    const key = randomUUID();
    await write(app, { key, board: 'b1' });

    const res = await write(app, { key, board: 'b2' });

    expectProblem(res, 422, 'idempotency-key-reused');
    expect(board.written).toHaveLength(1);
  });

  it('answers 409 while the first request with the key is still running', async () => {
    const { app, board } = boardApp(db);
    const key = randomUUID();
    const first = write(app, { key, body: { text: 'hold' } });
    await board.holding;

    const second = await write(app, { key, body: { text: 'hold' } });
    board.release();

    expectProblem(second, 409, 'idempotency-request-in-flight');
    expect((await first).status).toBe(201);
    expect(board.written).toEqual(['note-1']);
  });

  it('lets a retry take over a key whose holder stopped before its lease ran out', async () => {
    const { app, board } = boardApp(db);
    const key = randomUUID();
    const stuck = write(app, { key, body: { text: 'hold' } });
    await board.holding;
    await db.query(
      `update idempotency_keys set locked_until = now() - interval '1 second' where key = $1`,
      [key],
    );

    const retry = await write(app, { key, body: { text: 'hold' } });
    board.release();
    const late = await stuck;
    const again = await write(app, { key, body: { text: 'hold' } });

    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(Note.parse(late.body).id).toBe('note-2');
    expect(board.written).toEqual(['note-1', 'note-2']);
    expect(board.resumed).toEqual([false, true]);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(retry.body);
  });

  it.each([
    ['a 5xx problem', 'unavailable', 503],
    ['an unexpected error', 'crash', 500],
  ])('keeps nothing after %s, so a retry runs again', async (_, text, status) => {
    const { app } = boardApp(db);
    const key = randomUUID();

    const failed = await write(app, { key, body: { text } });
    const retried = await write(app, { key, body: { text } });

    expect(failed.status).toBe(status);
    expect(retried.status).toBe(status);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(await keyRows(key)).toEqual([]);
  });

  it("keeps each user's keys apart: another user's same key runs on its own", async () => {
    const { app, board } = boardApp(db);
    const key = randomUUID();

    const alice = await write(app, { key, user: 'usr_alice' });
    const bob = await write(app, { key, user: 'usr_bob', body: { text: 'other' } });

    expect(alice.status).toBe(201);
    expect(bob.status).toBe(201);
    expect(bob.headers['idempotent-replayed']).toBeUndefined();
    expect(Note.parse(bob.body)).toMatchObject({ id: 'note-2', author: 'usr_bob' });
    expect(board.written).toEqual(['note-1', 'note-2']);
  });

  it('treats an expired key as new, and removes expired keys as new ones come', async () => {
    const { app, board } = boardApp(db);
    const [expiring, forgotten] = [randomUUID(), randomUUID()];
    await write(app, { key: expiring });
    await write(app, { key: forgotten });
    await db.query(
      `update idempotency_keys set expires_at = now() - interval '1 second' where key = any($1)`,
      [[expiring, forgotten]],
    );

    const res = await write(app, { key: expiring, body: { text: 'another' } });

    expect(res.status).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(board.written).toEqual(['note-1', 'note-2', 'note-3']);
    expect(board.resumed).toEqual([false, false, false]);
    expect(await keyRows(forgotten)).toEqual([]);
    expect(await keyRows(expiring)).toMatchObject([{ state: 'completed' }]);
  });

  it('leaves requests without a key alone', async () => {
    const { app, board } = boardApp(db);
    const before = await db.query('select 1 from idempotency_keys');

    await write(app, {});
    const second = await write(app, {});

    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(board.written).toEqual(['note-1', 'note-2']);
    expect(await db.query('select 1 from idempotency_keys')).toHaveLength(before.length);
  });

  it('answers 400 to a key over 255 characters', async () => {
    const { app, board } = boardApp(db);

    const res = await write(app, { key: 'k'.repeat(256) });

    expectProblem(res, 400, 'validation');
    expect(board.written).toEqual([]);
  });
});

// PGlite runs one statement at a time; only a server shows requests racing for a key.
describe.runIf(testDatabaseEngine() === 'postgres')('IdempotencyKeys on two replicas', () => {
  const REQUESTS = 40;
  let replicas: [Database, Database];

  beforeAll(async () => {
    const url = await newTestDatabaseUrl();
    const log = silentLogger();
    replicas = [
      await openDatabase({ url, dataDir: '', log }),
      await openDatabase({ url, dataDir: '', log }),
    ];
    await runMigrations(replicas[0], [IDEMPOTENCY_MIGRATIONS], log);
  });
  afterAll(() => Promise.all(replicas.map((db) => db.close())));

  it('runs the handler once for many concurrent requests with one key, the rest replayed or 409', async () => {
    const boards = replicas.map((db) => boardApp(db));
    const key = randomUUID();

    const answers = await Promise.all(
      Array.from({ length: REQUESTS }, (_, n) =>
        write((boards[n % 2] as ReturnType<typeof boardApp>).app, { key }),
      ),
    );

    const written = boards.flatMap(({ board }) => board.written);
    const created = answers.filter((res) => res.status === 201);
    expect(written).toHaveLength(1);
    expect(answers.filter((res) => res.status !== 201 && res.status !== 409)).toEqual([]);
    expect(created.filter((res) => res.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
    for (const res of created) expect(Note.parse(res.body)).toEqual(Note.parse(created[0]?.body));
    for (const res of answers.filter((answer) => answer.status === 409)) {
      expectProblem(res, 409, 'idempotency-request-in-flight');
    }
  });

  it('runs each of many concurrent requests with its own key once', async () => {
    const boards = replicas.map((db) => boardApp(db));
    const keys = Array.from({ length: REQUESTS }, () => randomUUID());

    const answers = await Promise.all(
      keys.map((key, n) => write((boards[n % 2] as ReturnType<typeof boardApp>).app, { key })),
    );

    const states = await replicas[0].query<{ state: string }>(
      'select state from idempotency_keys where key = any($1)',
      [keys],
    );
    expect(answers.map((res) => res.status)).toEqual(keys.map(() => 201));
    expect(boards.flatMap(({ board }) => board.written)).toHaveLength(REQUESTS);
    expect(states.map((row) => row.state)).toEqual(keys.map(() => 'completed'));
  });
});
