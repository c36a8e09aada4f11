import { fileURLToPath } from 'node:url';
import { loadConfig, positiveIntVar, serviceEnvSchema, urlVar } from '@cheesecake/service-kit';
import { z } from 'zod';

// Resolved from this file rather than the working directory, so `pnpm start` at the repo root,
// `node dist/main.js` in the service and `tsx src/main.ts` all use the same `.data/order`
// (src/ and dist/ sit at the same depth).
const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../../.data/order', import.meta.url));

/** Reads and checks the order service's environment; fails naming every wrong variable. */
export function loadOrderConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    serviceEnvSchema({ port: 3001 }).extend({
      PAYMENT_SERVICE_URL: urlVar('http://localhost:3002'),
      KITCHEN_SERVICE_URL: urlVar('http://localhost:3003'),
      DOWNSTREAM_TIMEOUT_MS: positiveIntVar(5_000),
      OUTBOX_POLL_INTERVAL_MS: positiveIntVar(250),
      OUTBOX_MAX_ATTEMPTS: positiveIntVar(100),
      DATA_DIR: z.string().default(DEFAULT_DATA_DIR),
    }),
    env,
  );
}

export type OrderConfig = ReturnType<typeof loadOrderConfig>;
