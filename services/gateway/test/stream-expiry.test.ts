import http from 'node:http';
import { type RunningServer, startServer } from '@cheesecake/service-kit/testing';
import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEVELOPMENT_JWT_SECRET } from '../src/config.js';
import { startSystem, type TestSystem } from './support.js';

let system: TestSystem;
let gateway: RunningServer;
let upstreamClosed: Promise<void>;

// Long enough that the stream is open well before it expires, even on a loaded machine.
const LIFETIME_SECONDS = 10;

function aliceTokenExpiringIn(seconds: number): Promise<string> {
  const now = Math.floor(Date.now() / 1_000);
  return new SignJWT({ role: 'customer', name: 'Alice' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('cheesecake-gateway')
    .setAudience('cheesecake-api')
    .setSubject('usr_alice')
    .setIssuedAt(now)
    .setExpirationTime(now + seconds)
    .sign(new TextEncoder().encode(DEVELOPMENT_JWT_SECRET));
}

beforeEach(async () => {
  let closed: () => void;
  upstreamClosed = new Promise((resolve) => {
    closed = resolve;
  });
  system = await startSystem({
    orderStreams: (router) => {
      // A stream that never ends by itself.
      router.get('/orders/:orderId/events', (req, res) => {
        res.status(200).set({ 'content-type': 'text/event-stream' });
        res.write(': the order service writes the current status first\n\n');
        req.once('close', () => closed());
      });
    },
  });
  gateway = await startServer(system.gateway);
});
afterEach(async () => {
  await gateway.close();
  await system.close();
});

describe('GET /api/orders/{id}/events', () => {
  it('ends the stream when the access token it was opened with expires, and the upstream stream too', async () => {
    const token = await aliceTokenExpiringIn(LIFETIME_SECONDS);
    const expiresAtMs =
      JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).exp * 1_000;

    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http
        .get(`${gateway.url}/api/orders/ord_1/events`, {
          headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
        })
        .on('response', resolve)
        .on('error', reject);
    });
    const ended = new Promise<number>((resolve) => {
      response.on('error', () => {});
      response.on('close', () => resolve(Date.now()));
      response.resume();
    });

    expect(response.statusCode).toBe(200);
    const endedAt = await ended;
    // Not before the token's expiry: until then the stream is the user's to keep.
    expect(endedAt).toBeGreaterThanOrEqual(expiresAtMs - 10);
    await upstreamClosed;
  }, 60_000);
});
