import { loadConfig, serviceEnvSchema } from '@cheesecake/service-kit';
import type { z } from 'zod';

const paymentEnvSchema = serviceEnvSchema({ service: 'payment', port: 3002 });

export type PaymentConfig = z.output<typeof paymentEnvSchema>;

/** Reads the payment service's configuration from the environment, failing fast on a wrong variable. */
export function loadPaymentConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(paymentEnvSchema, env);
}
