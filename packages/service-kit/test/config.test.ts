import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { booleanVar, ConfigError, loadConfig, serviceEnvSchema } from '../src/index.js';

const schema = serviceEnvSchema({ port: 3001 }).extend({ KITCHEN_AUTO_PREPARE: booleanVar(true) });

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
});
