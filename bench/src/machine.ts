import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The machine a run measured, as the report shows it. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  /** The 1-minute load average when the run began: other work competes for the same cores. */
  loadAverage: number;
}

/** Describes this machine: CPU model and count, memory, operating system, Node.js, load. */
export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${distribution() ?? os.type()} (${os.platform()} ${os.release()}, ${os.arch()})`,
    node: process.version,
    loadAverage: os.loadavg()[0] ?? 0,
  };
}

// The kernel says little about a Linux system; os-release names the distribution.
function distribution(): string | undefined {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1];
  } catch {
    return undefined;
  }
}
