import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  DEVELOPMENT_INTERNAL_TOKEN_SECRET,
  loadConfig,
  serviceEnvSchema,
} from '../src/index.js';

// A service's own variable: `true`/`false`/`1`/`0`, true by default.
const autoPrepareVar = z
  .enum(['true', 'false', '1', '0'])
  .default('true')
  .transform((value) => value === 'true' || value === '1');

const schema = serviceEnvSchema({ service: 'order', port: 3001 }).extend({
  KITCHEN_AUTO_PREPARE: autoPrepareVar,
});

describe('loadConfig', () => {
  it('applies defaults for unset and empty variables', () => {
    const config = loadConfig(schema, { PORT: '', LOG_LEVEL: 'debug' });

    expect(config).toMatchObject({
      PORT: 3001,
      LOG_LEVEL: 'debug',
      KITCHEN_AUTO_PREPARE: true,
      BODY_LIMIT: '100kb',
    });
  });

  it('fails naming every variable that is wrong', () => {
    const load = () =>
      loadConfig(schema, {
        PORT: 'eighty',
        KITCHEN_AUTO_PREPARE: 'maybe',
        DATABASE_URL: 'mysql://x',
      });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/PORT/);
    expect(load).toThrow(/KITCHEN_AUTO_PREPARE/);
    expect(load).toThrow(/DATABASE_URL/);
  });

  it('refuses a secret shorter than 16 characters', () => {
    expect(() => loadConfig(schema, { INTERNAL_TOKEN_SECRET: 'short' })).toThrow(
      /INTERNAL_TOKEN_SECRET/,
    );
  });

  it('parses a service schema extended with its own variables', () => {
    const config = loadConfig(z.object({ STATIONS: z.coerce.number().int().min(1) }), {
      STATIONS: '3',
    });

    expect(config.STATIONS).toBe(3);
  });

  it('reads a variable from the file that <NAME>_FILE names, without its final newline', () => {
    const file = secretFile('a-secret-read-from-a-file-of-its-own\n');

    const config = loadConfig(schema, { INTERNAL_TOKEN_SECRET_FILE: file });

    expect(config.INTERNAL_TOKEN_SECRET).toBe('a-secret-read-from-a-file-of-its-own');
  });

  it('fails naming the variable when its file cannot be read, or both ways are set', () => {
    expect(() =>
      loadConfig(schema, { INTERNAL_TOKEN_SECRET_FILE: join(tmpdir(), 'no-such-secret') }),
    ).toThrow(/INTERNAL_TOKEN_SECRET_FILE: cannot read .*no-such-secret \(ENOENT\)/);
    expect(() =>
      loadConfig(schema, {
        INTERNAL_TOKEN_SECRET: 'a-secret-given-directly-here',
        INTERNAL_TOKEN_SECRET_FILE: secretFile('a-secret-read-from-a-file-of-its-own'),
      }),
    ).toThrow(
      /INTERNAL_TOKEN_SECRET: set either INTERNAL_TOKEN_SECRET or INTERNAL_TOKEN_SECRET_FILE/,
    );
  });
});

describe('loadConfig with NODE_ENV=production', () => {
  const production = { NODE_ENV: 'production' };

  it.each([
    ['missing', {}, /INTERNAL_TOKEN_SECRET: must be set in production/],
    [
      'the development default',
      { INTERNAL_TOKEN_SECRET: DEVELOPMENT_INTERNAL_TOKEN_SECRET },
      /INTERNAL_TOKEN_SECRET: is the development default/,
    ],
    [
      'shorter than 32 bytes',
      { INTERNAL_TOKEN_SECRET: 'only-twenty-six-bytes-long' },
      /INTERNAL_TOKEN_SECRET: must be at least 32 bytes/,
    ],
  ])('refuses a secret that is %s, naming it', (_case, secret, message) => {
    const load = () => loadConfig(schema, { ...production, ...secret });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });

  it('accepts a secret of 32 bytes or more of its own, from a file too', () => {
    const secret = 'x'.repeat(16) + 'y'.repeat(16);

    const direct = loadConfig(schema, { ...production, INTERNAL_TOKEN_SECRET: secret });
    const fromFile = loadConfig(schema, {
      ...production,
      INTERNAL_TOKEN_SECRET_FILE: secretFile(`${secret}\n`),
    });

    expect(direct.INTERNAL_TOKEN_SECRET).toBe(secret);
    expect(fromFile.INTERNAL_TOKEN_SECRET).toBe(secret);
  });

  it('keeps the development default outside production', () => {
    const config = loadConfig(schema, { NODE_ENV: 'development' });

    expect(config.INTERNAL_TOKEN_SECRET).toBe(DEVELOPMENT_INTERNAL_TOKEN_SECRET);
  });
});

function secretFile(contents: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'cheesecake-secret-')), 'secret');
  writeFileSync(file, contents, { mode: 0o600 });
  return file;
}
