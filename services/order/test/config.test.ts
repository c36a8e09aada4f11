import { ConfigError } from '@cheesecake/service-kit';
import { describe, expect, it } from 'vitest';
import { loadOrderConfig } from '../src/config.js';

describe('loadOrderConfig', () => {
  it('defaults to the local services and to .data/order at the repository root', () => {
    const config = loadOrderConfig({});

    expect(config).toMatchObject({
      PORT: 3001,
      PAYMENT_SERVICE_URL: 'http://localhost:3002',
      KITCHEN_SERVICE_URL: 'http://localhost:3003',
      DOWNSTREAM_TIMEOUT_MS: 5_000,
    });
    expect(config.DATA_DIR).toMatch(/[\\/]\.data[\\/]order$/);
    expect(config.DATA_DIR).not.toMatch(/services[\\/]order[\\/]\.data/);
  });

  it.each(['DOWNSTREAM_TIMEOUT_MS', 'OUTBOX_POLL_INTERVAL_MS', 'OUTBOX_MAX_ATTEMPTS'])(
    'refuses 0 for %s, naming it',
    (variable) => {
      expect(() => loadOrderConfig({ [variable]: '0' })).toThrow(ConfigError);
      expect(() => loadOrderConfig({ [variable]: '0' })).toThrow(variable);
    },
  );

  it('refuses a downstream URL that is not http, naming it', () => {
    expect(() => loadOrderConfig({ PAYMENT_SERVICE_URL: 'ftp://payments' })).toThrow(
      'PAYMENT_SERVICE_URL',
    );
  });
});
