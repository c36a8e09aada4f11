import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { redactCredentials } from '../src/app.js';
import { createServiceApp } from '../src/index.js';

function capturedLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

describe('request logs', () => {
  it('never hold an access token sent in the query string, in the URL or the query', async () => {
    const { log, lines } = capturedLog();
    const app = createServiceApp({
      log,
      bodyLimit: '1kb',
      readiness: async () => ({}),
      routes: [],
    });
    const token = 'eyJhbGciOiJIUzI1NiJ9.a-token-that-must-stay-out-of-logs.c2ln';

    await request(app).get(`/api/ws?access_token=${token}&orderId=ord_1`);

    const line = lines.map((text) => JSON.parse(text)).find((entry) => entry.req);
    expect(line.req.url).toBe('/api/ws?access_token=%5BRedacted%5D&orderId=ord_1');
    expect(lines.join('\n')).not.toContain(token);
  });
});

describe('redactCredentials', () => {
  it('replaces each credential parameter and leaves the rest of the URL as it is', () => {
    expect(redactCredentials('/api/ws?token=abc&access_token=def')).toBe(
      '/api/ws?token=%5BRedacted%5D&access_token=%5BRedacted%5D',
    );
    expect(redactCredentials('/api/orders?limit=5&cursor=a%2Fb')).toBe(
      '/api/orders?limit=5&cursor=a%2Fb',
    );
    expect(redactCredentials('/api/menu')).toBe('/api/menu');
  });
});
