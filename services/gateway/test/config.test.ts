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

describe('loadGatewayConfig for a gateway behind proxies or beside other replicas', () => {
  it('ignores X-Forwarded-For, counts in memory and speaks HTTP unless told otherwise', () => {
    const config = loadGatewayConfig({});

    expect(config.TRUST_PROXY).toBe(false);
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.TLS_CERT_FILE).toBeUndefined();
  });

  it.each([
    ['1', 1],
    ['10.0.0.0/8, loopback', ['10.0.0.0/8', 'loopback']],
  ])('reads TRUST_PROXY=%s as express takes it', (value, expected) => {
    expect(loadGatewayConfig({ TRUST_PROXY: value }).TRUST_PROXY).toEqual(expected);
  });

  it.each(['true', 'not-an-address', '10.0.0.0/99'])(
    'refuses TRUST_PROXY=%s, naming it',
    (value) => {
      expect(() => loadGatewayConfig({ TRUST_PROXY: value })).toThrow(
        /TRUST_PROXY: must be a hop count/,
      );
    },
  );

  it('refuses a REDIS_URL that is not a Redis URL, naming it', () => {
    expect(() => loadGatewayConfig({ REDIS_URL: 'http://redis:6379' })).toThrow(/REDIS_URL/);
  });

  it('refuses a certificate without its key, naming the one missing', () => {
    const load = () => loadGatewayConfig({ TLS_CERT_FILE: '/run/tls/cert.pem' });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/TLS_KEY_FILE: must be set with TLS_CERT_FILE/);
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
