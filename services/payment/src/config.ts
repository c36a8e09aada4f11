import { fileURLToPath } from 'node:url';
import { loadConfig, serviceEnvSchema } from '@cheesecake/service-kit';
import { z } from 'zod';

// Resolved from this file rather than the working directory, so `pnpm start` from the repo
// root and `node dist/main.js` from the service both use <repo>/.data/payment; src/ and
// dist/ sit at the same depth, so the same relative path works from either.
const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../../.data/payment', import.meta.url));

/** Reads the payment service's configuration from the environment; throws naming every bad variable. */
export function loadPaymentConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(
    serviceEnvSchema({ port: 3002 }).extend({
      DATA_DIR: z.string().default(DEFAULT_DATA_DIR),
    }),
    env,
  );
}

export type PaymentConfig = ReturnType<typeof loadPaymentConfig>;
