import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from '@cheesecake/service-kit/testing';

/** Debian's Redis server, which the scale-out tests start on a free loopback port. */
const REDIS_SERVER = 'redis-server';

/**
 * Whether the tests that need Redis can run here. Without `redis-server` they are skipped
 * with a line saying how to enable them, except under `CI=true`, where the suite fails instead.
 */
export function redisAvailable(): boolean {
  if (spawnSync(REDIS_SERVER, ['--version']).status === 0) return true;
  const how = `install Debian's redis-server (apt-get install redis-server)`;
  if (process.env.CI === 'true') throw new Error(`No ${REDIS_SERVER} on the PATH: ${how}`);
  console.log(`Skipping the tests with Redis: no ${REDIS_SERVER} on the PATH; ${how}.`);
  return false;
}

/** A throwaway Redis server on a loopback port, keeping nothing on disk. */
export class TestRedis {
  readonly port: number;
  #process: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
  }

  /** Starts a server on a free port and resolves once it accepts connections. */
  static async start(): Promise<TestRedis> {
    const redis = new TestRedis(await freePort());
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server again on the same port, empty. */
  async restart(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', ''];
    this.#process = spawn(REDIS_SERVER, [...args, '--appendonly', 'no'], { stdio: 'ignore' });
    while (!(await this.#accepts())) {
      if (this.#process.exitCode !== null) throw new Error('redis-server exited at start');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Kills the server, as a crash or a network partition would take it away. */
  async kill(): Promise<void> {
    const running = this.#process;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  }

  #accepts(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(this.port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }
}
