import { type Logger, pino } from 'pino';

/** The logger every service writes with: pino's, as {@link createLogger} makes it. */
export type { Logger } from 'pino';

/** A structured JSON logger for one service; every line carries `service`. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: ['req.headers.authorization', 'req.headers.cookie'],
  });
}
