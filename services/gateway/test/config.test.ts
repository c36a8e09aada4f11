import { ConfigError, DEVELOPMENT_INTERNAL_TOKEN_SECRET } from '@cheesecake/service-kit';
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
      DOWNSTREAM_TIMEOUT_MS: 10_000,
      JWT_SECRET: DEVELOPMENT_JWT_SECRET,
      TOKEN_TTL_SECONDS: 3_600,
      DEMO_PASSWORD: 'cheesecake',
      BODY_LIMIT: '100kb',
      RATE_LIMIT_PER_MINUTE: 100,
      RATE_LIMIT_LOGIN_PER_MINUTE: 10,
      MENU_CACHE_TTL_SECONDS: 30,
      CORS_ALLOWED_ORIGINS: [],
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
        RATE_LIMIT_PER_MINUTE: '0',
        MENU_CACHE_TTL_SECONDS: '-1',
      });

    expect(load).toThrow(ConfigError);
    for (const variable of [
      'ORDER_SERVICE_URL',
      'DOWNSTREAM_TIMEOUT_MS',
      'JWT_SECRET',
      'TOKEN_TTL_SECONDS',
      'RATE_LIMIT_PER_MINUTE',
      'MENU_CACHE_TTL_SECONDS',
    ]) {
      expect(load).toThrow(variable);
    }
  });

  it('reads CORS_ALLOWED_ORIGINS as a comma-separated list of origins', () => {
    const config = loadGatewayConfig({
      CORS_ALLOWED_ORIGINS: 'https://shop.example.com, http://localhost:5173',
    });

    expect(config.CORS_ALLOWED_ORIGINS).toEqual([
      'https://shop.example.com',
      'http://localhost:5173',
    ]);
  });

  it.each([
    '*',
    'https://shop.example.com/',
    'https://shop.example.com/orders',
    'shop.example.com',
  ])('refuses %s in CORS_ALLOWED_ORIGINS, naming the variable', (origin) => {
    const load = () =>
      loadGatewayConfig({ CORS_ALLOWED_ORIGINS: `https://ok.example.com,${origin}` });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow('CORS_ALLOWED_ORIGINS');
  });
});

describe('loadGatewayConfig with NODE_ENV=production', () => {
  it('refuses the development secrets, naming each', () => {
    const load = () =>
      loadGatewayConfig({
        NODE_ENV: 'production',
        JWT_SECRET: DEVELOPMENT_JWT_SECRET,
        INTERNAL_TOKEN_SECRET: DEVELOPMENT_INTERNAL_TOKEN_SECRET,
      });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/JWT_SECRET: is the development default/);
    expect(load).toThrow(/INTERNAL_TOKEN_SECRET: is the development default/);
  });

  it('starts on secrets of its own', () => {
    const config = loadGatewayConfig({
      NODE_ENV: 'production',
      JWT_SECRET: 'j'.repeat(32),
      INTERNAL_TOKEN_SECRET: 'i'.repeat(32),
    });

    expect(config.JWT_SECRET).toBe('j'.repeat(32));
  });
});
