import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docsRoutes } from '../src/edge/docs.js';

const run = promisify(execFile);
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => join(PACKAGE_DIR, 'node_modules', '.bin', name);
// Neither linter may phone home: no telemetry, no update check.
const ENV = {
  ...process.env,
  REDOCLY_TELEMETRY: 'off',
  REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
  NO_UPDATE_NOTIFIER: '1',
};

/** Runs a linter, which exits non-zero when it finds errors, and returns what it printed. */
async function lint(command: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(bin(command), args, { cwd: PACKAGE_DIR, env: ENV });
    return stdout;
  } catch (error) {
    const { stdout } = error as { stdout?: string };
    if (!stdout) throw error;
    return stdout;
  }
}

let folder: string;
let file: string;

beforeAll(async () => {
  const res = await request(express().use(docsRoutes())).get('/openapi.json');
  folder = await mkdtemp(join(tmpdir(), 'openapi-lint-'));
  file = join(folder, 'openapi.json');
  await writeFile(file, res.text);
});
afterAll(() => rm(folder, { recursive: true, force: true }));

describe('GET /openapi.json', () => {
  it("passes Redocly's recommended rules (redocly.yaml) without an error", async () => {
    const output = await lint('redocly', ['lint', file, '--config=redocly.yaml', '--format=json']);

    const { problems } = JSON.parse(output) as {
      problems: { ruleId: string; severity: string; message: string; location: unknown[] }[];
    };
    const errors = problems
      .filter((problem) => problem.severity === 'error')
      .map(({ ruleId, message, location }) => ({ ruleId, message, location }));
    expect(errors).toEqual([]);
  });

  it("passes Spectral's OWASP API security rules (.spectral.yaml) without an error", async () => {
    const output = await lint('spectral', [
      'lint',
      file,
      '--ruleset=.spectral.yaml',
      '--format=json',
    ]);

    const results = JSON.parse(output) as {
      code: string;
      severity: number;
      message: string;
      path: string[];
    }[];
    // Spectral's severities: 0 error, 1 warning, 2 information, 3 hint.
    const errors = results
      .filter((result) => result.severity === 0)
      .map(({ code, message, path }) => ({ code, message, at: path.join('.') }));
    expect(errors).toEqual([]);
  });
});
