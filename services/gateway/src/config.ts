import {
  loadConfig,
  positiveIntVar,
  secretVar,
  serviceEnvSchema,
  urlVar,
} from '@cheesecake/service-kit';
import { z } from 'zod';

/** Development default of the secret that signs access tokens; set JWT_SECRET in production. */
export const DEVELOPMENT_JWT_SECRET = 'cheesecake-jwt-dev-secret-change-me';

// The gateway keeps no data, so it reads no DATABASE_URL or DATA_DIR. positiveIntVar, unlike
// intVar, refuses 0: a zero timeout would disable it, a zero lifetime issues dead tokens.
const gatewayEnvSchema = serviceEnvSchema({ port: 8080 })
  .omit({ DATABASE_URL: true, DATA_DIR: true })
  .extend({
    ORDER_SERVICE_URL: urlVar('http://localhost:3001'),
    PAYMENT_SERVICE_URL: urlVar('http://localhost:3002'),
    KITCHEN_SERVICE_URL: urlVar('http://localhost:3003'),
    DOWNSTREAM_TIMEOUT_MS: positiveIntVar(5_000),
    JWT_SECRET: secretVar(DEVELOPMENT_JWT_SECRET),
    TOKEN_TTL_SECONDS: positiveIntVar(3_600),
    DEMO_PASSWORD: z.string().min(1).default('cheesecake'),
  });

export type GatewayConfig = z.output<typeof gatewayEnvSchema>;

/** Reads the gateway's configuration from the environment, failing fast on a wrong variable. */
export function loadGatewayConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(gatewayEnvSchema, env);
}
