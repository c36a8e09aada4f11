import { createLogger, type Logger } from '../logger.js';

/** A logger that writes nothing, for tests. */
export function silentLogger(): Logger {
  return createLogger('test', 'silent');
}
