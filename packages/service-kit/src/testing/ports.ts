import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A port taken from the kernel with `listen(0)` and closed again may be handed to another
// test process before the service meant for it binds it (a gateway hashes its demo passwords
// first). Ports are therefore taken outside the range the kernel hands out, and reserved by
// a lock file that names the process holding it, until that process exits.
const LOCKS = join(tmpdir(), 'cheesecake-test-ports');
const held = new Set<number>();

function portsOutsideKernelRange(): [number, number] {
  let [low, high] = [32768, 60999];
  try {
    [low = low, high = high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
  } catch {
    // Not Linux: its usual range.
  }
  return low > 20_000 ? [10_000, low - 1] : [high + 1, 65_535];
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function reserve(port: number, retakeStale = true): boolean {
  const lock = join(LOCKS, String(port));
  try {
    const fd = openSync(lock, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // An empty file is one being written: its owner is alive.
  const owner = Number(readFileSync(lock, 'utf8'));
  if (!retakeStale || !owner || isRunning(owner)) return false;
  rmSync(lock, { force: true });
  return reserve(port, false);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function releaseHeld(): void {
  for (const port of held) rmSync(join(LOCKS, String(port)), { force: true });
}

/**
 * A TCP port of 127.0.0.1 that nothing listens on and no other test process on this machine
 * is given until this one exits, so a service may bind it later, and again after a restart.
 */
export async function freePort(): Promise<number> {
  mkdirSync(LOCKS, { recursive: true });
  if (held.size === 0) process.once('exit', releaseHeld);
  const [first, last] = portsOutsideKernelRange();
  const count = last - first + 1;
  const start = Math.floor(Math.random() * count);
  for (let offset = 0; offset < count; offset += 1) {
    const port = first + ((start + offset) % count);
    if (held.has(port) || !reserve(port)) continue;
    held.add(port);
    // Kept reserved even when something outside the tests listens on it, so it is not tried again.
    if (await canListen(port)) return port;
  }
  throw new Error(`No free port between ${first} and ${last}`);
}
