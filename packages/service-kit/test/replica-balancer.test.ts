import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineEndpoint } from '@cheesecake/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ReplicaBalancer, type Resolver } from '../src/replica-balancer.js';
import { createClient } from '../src/typed-client.js';
import { Upstream, UpstreamUnavailableError } from '../src/upstream.js';
import { sendOnce } from './support.js';

const whoApi = {
  who: defineEndpoint({
    method: 'GET',
    path: '/who',
    summary: 'Which replica answered, and the Host it was asked for',
    responses: { 200: z.object({ replica: z.string(), host: z.string() }) },
  }),
};

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

/** A replica on `address`, answering with its own name; resolves to its port. */
function startReplica(name: string, address: string, port = 0): Promise<number> {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ replica: name, host: req.headers.host }));
  });
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve((server.address() as AddressInfo).port));
  });
}

function clientOf(baseUrl: string, resolve: Resolver) {
  return createClient(whoApi, {
    upstream: new Upstream('who', baseUrl, new ReplicaBalancer(resolve)),
    policy: sendOnce,
  });
}

describe('createClient with several replicas behind one name', () => {
  it('spreads calls over every address in turn, keeping the name in the Host header', async (context) => {
    const port = await startReplica('a', '127.0.0.1');
    // 127.0.0.2 is a loopback address on Linux; elsewhere it may need configuring.
    const second = await startReplica('b', '127.0.0.2', port).catch(() => undefined);
    if (!second) context.skip();
    const client = clientOf(`http://replicas.internal:${port}`, async () => [
      '127.0.0.1',
      '127.0.0.2',
    ]);

    const answers = [];
    for (let call = 0; call < 4; call += 1) answers.push((await client.who({})).body);

    expect(answers.map((answer) => answer.replica)).toEqual(['a', 'b', 'a', 'b']);
    expect(new Set(answers.map((answer) => answer.host))).toEqual(
      new Set([`replicas.internal:${port}`]),
    );
  });

  it('looks the name up again after a replica refused, and then reaches the ones left', async () => {
    const port = await startReplica('a', '127.0.0.1');
    let addresses = ['127.0.0.3', '127.0.0.1'];
    const client = clientOf(`http://replicas.internal:${port}`, async () => addresses);

    const refused = client.who({});
    await expect(refused).rejects.toBeInstanceOf(UpstreamUnavailableError);
    addresses = ['127.0.0.1'];
    const answer = await client.who({});

    expect(answer.body.replica).toBe('a');
  });
});
