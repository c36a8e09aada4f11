import { callerEnv, loadConfig, serviceEnvSchema, urlVar } from '@cheesecake/service-kit';
import type { z } from 'zod';

const orderEnvSchema = serviceEnvSchema({ service: 'order', port: 3001 }).extend({
  PAYMENT_SERVICE_URL: urlVar('http://localhost:3002'),
  KITCHEN_SERVICE_URL: urlVar('http://localhost:3003'),
  ...callerEnv,
});

export type OrderConfig = z.output<typeof orderEnvSchema>;

/** Reads the order service's configuration from the environment, failing fast on a wrong variable. */
export function loadOrderConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(orderEnvSchema, env);
}
