import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../src/testing.js';

const [kernelLow, kernelHigh] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
  .trim()
  .split(/\s+/)
  .map(Number);

function listenOn(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

describe('freePort', () => {
  it('gives ports that differ, lie outside the range the kernel hands out, and can be bound', async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));

    expect(new Set(ports).size).toBe(20);
    for (const port of ports) {
      expect(port < (kernelLow ?? 0) || port > (kernelHigh ?? 0)).toBe(true);
      await expect(listenOn(port)).resolves.toBeUndefined();
    }
  });

  it('marks each port it gives as held by this process, so other test processes pass it by', async () => {
    const port = await freePort();

    const lock = readFileSync(join(tmpdir(), 'cheesecake-test-ports', String(port)), 'utf8');
    expect(Number(lock)).toBe(process.pid);
  });
});
