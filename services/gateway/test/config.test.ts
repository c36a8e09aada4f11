import { ConfigError } from '@cheesecake/service-kit';
import { describe, expect, it } from 'vitest';
import { DEVELOPMENT_JWT_SECRET, loadGatewayConfig } from '../src/config.js';

describe('loadGatewayConfig', () => {
  it('runs on the defaults of a development machine', () => {
    const config = loadGatewayConfig({});

    expect(config).toMatchObject({
      PORT: 8080,
      ORDER_SERVICE_URL: 'http://localhost:3001',
      PAYMENT_SERVICE_URL: 'http://localhost:3002',
      KITCHEN_SERVICE_URL: 'http://localhost:3003',
      DOWNSTREAM_TIMEOUT_MS: 5_000,
      JWT_SECRET: DEVELOPMENT_JWT_SECRET,
      TOKEN_TTL_SECONDS: 3_600,
      DEMO_PASSWORD: 'cheesecake',
      BODY_LIMIT: '100kb',
    });
    expect(config).not.toHaveProperty('DATABASE_URL');
    expect(config).not.toHaveProperty('DATA_DIR');
  });

  it('fails naming every variable that is wrong', () => {
    const load = () =>
      loadGatewayConfig({
        ORDER_SERVICE_URL: 'order:3001',
        DOWNSTREAM_TIMEOUT_MS: '0',
        JWT_SECRET: 'short',
        TOKEN_TTL_SECONDS: 'an hour',
      });

    expect(load).toThrow(ConfigError);
    for (const variable of [
      'ORDER_SERVICE_URL',
      'DOWNSTREAM_TIMEOUT_MS',
      'JWT_SECRET',
      'TOKEN_TTL_SECONDS',
    ]) {
      expect(load).toThrow(variable);
    }
  });
});
