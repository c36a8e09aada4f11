import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './testing/ports.js';

const run = promisify(execFile);

/** The variable that points the tests at a PostgreSQL server of one's own instead of a throwaway one. */
const TEST_POSTGRES_URL_VARIABLE = 'TEST_POSTGRES_URL';

/** Why the PostgreSQL suites cannot run here, and how to make them run; undefined when they can. */
export function postgresUnavailableReason(): string | undefined {
  if (process.env[TEST_POSTGRES_URL_VARIABLE] || findPostgresBinaries()) return undefined;
  return (
    'no PostgreSQL server binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql/*/bin; ' +
    `install a PostgreSQL server (Debian: apt-get install postgresql) or set ${TEST_POSTGRES_URL_VARIABLE}` +
    ' to a server where the user may create databases'
  );
}

/** The directory holding `initdb` and `pg_ctl`: on PATH first, then the newest Debian install. */
function findPostgresBinaries(): string | undefined {
  const onPath = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const debianRoot = '/usr/lib/postgresql';
  const debian = existsSync(debianRoot)
    ? readdirSync(debianRoot)
        .filter((version) => /^\d+$/.test(version))
        .sort((a, b) => Number(b) - Number(a))
        .map((version) => join(debianRoot, version, 'bin'))
    : [];
  return [...onPath, ...debian].find(
    (dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')),
  );
}

/** A PostgreSQL server for a test run: where to reach it as a user who may create databases. */
export interface TestPostgres {
  /** `postgres://…/postgres` of a user who may create databases. */
  adminUrl: string;
  /** What the names of this run's databases start with, so that `stop` can find them. */
  databasePrefix: string;
  /** Stops a throwaway server and deletes its files; on a server given by URL, drops this run's databases. */
  stop(): Promise<void>;
}

/**
 * The server named by `TEST_POSTGRES_URL`, or else a throwaway one: a new cluster in a
 * temporary directory, listening on a free port of 127.0.0.1, with durability switched
 * off (a test run needs none), run as an unprivileged user when this process is root,
 * since PostgreSQL refuses to run as root.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const databasePrefix = `cheesecake_test_${randomBytes(4).toString('hex')}`;
  const given = process.env[TEST_POSTGRES_URL_VARIABLE];
  return given ? useGivenPostgres(given, databasePrefix) : startThrowawayPostgres(databasePrefix);
}

/** The server at `adminUrl`, once it answers; stopping drops this run's databases. */
async function useGivenPostgres(adminUrl: string, databasePrefix: string): Promise<TestPostgres> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`${TEST_POSTGRES_URL_VARIABLE} cannot be reached: ${describe(error)}`);
  } finally {
    await client.end().catch(() => {});
  }
  return {
    adminUrl,
    databasePrefix,
    stop: () => dropTestDatabases(adminUrl, databasePrefix),
  };
}

/** A new cluster in a temporary directory, started; stopping it deletes the directory. */
async function startThrowawayPostgres(databasePrefix: string): Promise<TestPostgres> {
  const binaries = findPostgresBinaries();
  if (!binaries) throw new Error(`PostgreSQL is unavailable: ${postgresUnavailableReason()}`);

  const dir = mkdtempSync(join(tmpdir(), 'cheesecake-postgres-'));
  const tool = clusterTool(binaries, dir);
  const dataDir = join(dir, 'data');
  try {
    await tool('initdb', [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '--no-sync',
      '-E',
      'UTF8',
    ]);
    const port = await startOnFreePort((port) =>
      tool('pg_ctl', [
        '-D',
        dataDir,
        '-l',
        join(dir, 'server.log'),
        '-w',
        '-t',
        '120',
        '-o',
        serverSettings(port, dir),
        'start',
      ]),
    );
    return {
      adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
      databasePrefix,
      stop: async () => {
        await tool('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    const log = join(dir, 'server.log');
    const serverLog = existsSync(log) ? `\n${readFileSync(log, 'utf8')}` : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `Could not start a throwaway PostgreSQL server: ${describe(error)}${serverLog}`,
    );
  }
}

/**
 * Runs one of the server's programs on the cluster in `dir`, as an unprivileged user who
 * owns `dir` when this process is root.
 */
function clusterTool(binaries: string, dir: string) {
  const owner = process.getuid?.() === 0 ? unprivilegedUser() : undefined;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const as = owner ? { uid: owner.uid, gid: owner.gid } : {};
  return (name: string, args: string[]) =>
    run(join(binaries, name), args, { ...as, cwd: dir, env: { ...process.env, LC_ALL: 'C' } });
}

/** The server's settings: 127.0.0.1 and `port` only, its socket in `dir`, durability off. */
function serverSettings(port: number, dir: string): string {
  return [
    '-c listen_addresses=127.0.0.1',
    `-p ${port}`,
    `-k ${dir}`,
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=400',
  ].join(' ');
}

/** Creates an empty database on the server, named `<databasePrefix>_<name>_…`, and returns its URL. */
export async function createTestDatabase(
  server: Pick<TestPostgres, 'adminUrl' | 'databasePrefix'>,
  name: string,
): Promise<string> {
  const { adminUrl, databasePrefix } = server;
  const database = `${databasePrefix}_${name}_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`create database ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Drops every database of one run, connections and all, from a server that outlives it. */
async function dropTestDatabases(adminUrl: string, databasePrefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const rows = await client.query<{ datname: string }>(
      'select datname from pg_database where starts_with(datname, $1)',
      [`${databasePrefix}_`],
    );
    for (const { datname } of rows.rows) {
      await client.query(
        `drop database if exists ${client.escapeIdentifier(datname)} with (force)`,
      );
    }
  } finally {
    await client.end();
  }
}

/** `postgres` when the system has that user (Debian's package makes it), else `nobody`. */
function unprivilegedUser(): { uid: number; gid: number } {
  const users = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .filter((fields) => fields.length >= 4);
  const user =
    users.find(([name]) => name === 'postgres') ?? users.find(([name]) => name === 'nobody');
  if (!user) throw new Error('Running as root, and neither a postgres nor a nobody user exists');
  return { uid: Number(user[2]), gid: Number(user[3]) };
}

/** Starts the server on a port that was free a moment ago, trying again if another took it. */
async function startOnFreePort(start: (port: number) => Promise<unknown>): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    try {
      await start(port);
      return port;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

function describe(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  const message = error instanceof Error ? error.message : String(error);
  return typeof stderr === 'string' && stderr ? `${message}\n${stderr}` : message;
}
