import {
  callerEnv,
  intVar,
  loadConfig,
  positiveIntVar,
  serviceEnvSchema,
  urlVar,
} from '@cheesecake/service-kit';
import { z } from 'zod';

/** A boolean variable: `true`/`false`/`1`/`0`, with a default. */
const booleanVar = (defaultValue: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(defaultValue ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1');

// positiveIntVar, unlike intVar, refuses 0: zero stations would never prepare anything.
const kitchenEnvSchema = serviceEnvSchema({ service: 'kitchen', port: 3003 }).extend({
  ORDER_SERVICE_URL: urlVar('http://localhost:3001'),
  ...callerEnv,
  KITCHEN_AUTO_PREPARE: booleanVar(true),
  KITCHEN_STATIONS: positiveIntVar(3),
  KITCHEN_START_DELAY_MS: intVar(1_000),
  KITCHEN_PREPARATION_MS: intVar(4_000),
});

export type KitchenConfig = z.output<typeof kitchenEnvSchema>;

/** Reads the kitchen's configuration from the environment, failing fast on a wrong variable. */
export function loadKitchenConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(kitchenEnvSchema, env);
}
