import { z } from 'zod';

/** Thrown at start when the environment does not satisfy a service's config schema. */
export class ConfigError extends Error {
  constructor(issues: string[]) {
    super(`Invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses environment variables with a zod schema whose keys are the variable names.
 * Fails with a {@link ConfigError} naming every variable that is wrong.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.output<S> {
  // An empty variable (FOO= in a .env file) means "not set", so defaults apply.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = schema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map(
        (issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`,
      ),
    );
  }
  return result.data;
}

/** A TCP port variable with a default. */
export const portVar = (defaultPort: number) =>
  z.coerce.number().int().min(0).max(65_535).default(defaultPort);

/** A non-negative integer variable, such as a duration in milliseconds, with a default. */
export const intVar = (defaultValue: number) =>
  z.coerce.number().int().min(0).default(defaultValue);

/** A positive integer variable, for a value where 0 would be wrong (a timeout, a count), with a default. */
export const positiveIntVar = (defaultValue: number) =>
  z.coerce.number().int().min(1).default(defaultValue);

/** A boolean variable: `true`/`false`/`1`/`0`, with a default. */
export const booleanVar = (defaultValue: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(defaultValue ? 'true' : 'false')
    .transform((value) => value === 'true' || value === '1');

/** An http(s) URL variable with a default. */
export const urlVar = (defaultUrl: string) => z.url({ protocol: /^https?$/ }).default(defaultUrl);

/** A secret variable of at least 16 characters, with a development default. */
export const secretVar = (developmentDefault: string) =>
  z.string().min(16).default(developmentDefault);

/** The log level variable. */
export const logLevelVar = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');

/** Development default of the secret that signs internal credentials; set INTERNAL_TOKEN_SECRET in production. */
export const DEVELOPMENT_INTERNAL_TOKEN_SECRET = 'cheesecake-internal-dev-secret-change-me';

/**
 * The variables every backend service reads: where to listen, how to log, which
 * database, the internal credential secret and the JSON body limit.
 */
export function serviceEnvSchema(options: { port: number }) {
  return z.object({
    // Loopback unless told otherwise: a service is for the machine it runs on, not the LAN.
    // The Docker images set 0.0.0.0, where the container's network is the boundary.
    HOST: z.string().default('127.0.0.1'),
    PORT: portVar(options.port),
    LOG_LEVEL: logLevelVar,
    DATABASE_URL: z
      .string()
      .regex(/^(postgres(ql)?:\/\/.+|memory:\/\/)$/, 'must be postgres://… or memory://')
      .optional(),
    DATA_DIR: z.string().optional(),
    INTERNAL_TOKEN_SECRET: secretVar(DEVELOPMENT_INTERNAL_TOKEN_SECRET),
    BODY_LIMIT: z
      .string()
      .regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb')
      .default('100kb'),
  });
}
