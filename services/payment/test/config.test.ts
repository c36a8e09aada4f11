import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadPaymentConfig } from '../src/config.js';

describe('loadPaymentConfig', () => {
  it('listens on 3002 and keeps the embedded database under the repo root .data/payment by default', () => {
    const config = loadPaymentConfig({});

    expect(config.PORT).toBe(3002);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.DATA_DIR).toBe(fileURLToPath(new URL('../../../.data/payment', import.meta.url)));
  });

  it('takes DATA_DIR and PORT from the environment, treating an empty variable as unset', () => {
    const config = loadPaymentConfig({ DATA_DIR: '/var/lib/payment', PORT: '4002', LOG_LEVEL: '' });

    expect(config).toMatchObject({ DATA_DIR: '/var/lib/payment', PORT: 4002, LOG_LEVEL: 'info' });
  });

  it('fails naming the variable when one is invalid', () => {
    expect(() => loadPaymentConfig({ PORT: 'eighty' })).toThrow(/PORT/);
  });
});
