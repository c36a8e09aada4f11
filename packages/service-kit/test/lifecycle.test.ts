import { request, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { endOnShutdown } from '../src/index.js';
import { listen, shutDown } from '../src/lifecycle.js';
import { silentLogger } from '../src/testing.js';

let server: Server;
afterEach(
  () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
);

const start = async () => {
  const app = express();
  app.post('/upload', express.raw(), (_req, res) => {
    res.status(204).end();
  });
  server = await listen(app, 0, '127.0.0.1', silentLogger(), {
    headersTimeoutMs: 200,
    requestTimeoutMs: 400,
  });
  return (server.address() as AddressInfo).port;
};

/** Writes `data` on a raw connection that then stalls, and resolves to what the server answers before it hangs up. */
function stall(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(data));
    socket.on('data', (chunk) => {
      answer += String(chunk);
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('listen', () => {
  it('answers 408 and hangs up on a client that stalls while sending headers', async () => {
    const port = await start();

    const answer = await stall(port, 'POST /upload HTTP/1.1\r\nHost: localhost\r\n');

    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('answers 408 and hangs up on a client that stalls while sending the body', async () => {
    const port = await start();

    const answer = await stall(
      port,
      'POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: 100\r\n\r\n0123456789',
    );

    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('shutDown', () => {
  it('ends open event streams, waits for the request in flight, then runs the steps in order', async () => {
    const app = express();
    let finishUpload: () => void = () => {};
    let uploadArrived: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      uploadArrived = resolve;
    });
    // A long-lived answer, such as an event stream, that shutdown must end.
    app.get('/events', (req, res) => {
      res.status(200).set('content-type', 'text/event-stream');
      res.flushHeaders();
      res.write('retry: 2000\n\n');
      endOnShutdown(req.app, () => res.end());
    });
    app.post('/upload', (_req, res) => {
      finishUpload = () => res.status(204).end();
      uploadArrived();
    });
    server = await listen(app, 0, '127.0.0.1', silentLogger());
    const { port } = server.address() as AddressInfo;
    const stream = await fetch(`http://127.0.0.1:${port}/events`);
    const streamBody = stream.text();
    // Without keep-alive, so the server need not wait for the client to drop an idle connection.
    const upload = new Promise<number | undefined>((resolve, reject) => {
      request(`http://127.0.0.1:${port}/upload`, { method: 'POST', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
        .on('error', reject)
        .end();
    });
    await arrived;
    const done: string[] = [];

    const stopped = shutDown({
      app,
      server,
      log: silentLogger(),
      steps: [
        async () => {
          done.push('workers');
        },
        async () => {
          done.push('database');
        },
      ],
    });
    const streamEnded = await streamBody;
    const stepsBeforeUploadFinished = [...done];
    finishUpload();
    await stopped;

    expect(app.locals.draining).toBe(true);
    expect(streamEnded).toBe('retry: 2000\n\n');
    expect(stepsBeforeUploadFinished).toEqual([]);
    expect(await upload).toBe(204);
    expect(done).toEqual(['workers', 'database']);
  });
});
