import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Thrown at start when the environment does not satisfy a service's config schema. */
export class ConfigError extends Error {
  constructor(issues: string[]) {
    super(`Invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The schemas made by {@link secretVar}, with the public value each has outside production. */
const developmentSecrets = z.registry<{ developmentDefault: string }>();

/** The least a secret must hold in production: 32 bytes, as many as HS256's key. */
const MIN_PRODUCTION_SECRET_BYTES = 32;

/**
 * Parses environment variables with a zod schema whose keys are the variable names.
 * Any variable may come from a file instead, named by `<NAME>_FILE` (Docker's convention
 * for secrets). With `NODE_ENV=production`, every {@link secretVar} must be set, hold at
 * least 32 bytes and differ from its development default. Fails with a
 * {@link ConfigError} naming every variable that is wrong.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.output<S> {
  const issues: string[] = [];
  const present = withFiles(presentVariables(env), variablesOf(schema), issues);
  if (present.NODE_ENV === 'production') issues.push(...productionSecretIssues(schema, present));
  const result = schema.safeParse(present);
  if (!result.success) {
    issues.push(
      ...result.error.issues.map(
        (issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`,
      ),
    );
  }
  if (issues.length > 0 || !result.success) throw new ConfigError(issues);
  return result.data;
}

// An empty variable (FOO= in a .env file) means "not set", so defaults apply.
function presentVariables(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => Boolean(entry[1])),
  );
}

function variablesOf(schema: z.ZodType): Set<string> {
  return new Set(schema instanceof z.ZodObject ? Object.keys(schema.shape) : []);
}

// Only for the schema's own variables: other programs' *_FILE variables are none of ours.
function withFiles(
  env: Record<string, string>,
  variables: Set<string>,
  issues: string[],
): Record<string, string> {
  const resolved = { ...env };
  for (const [fileVariable, path] of Object.entries(env)) {
    const name = fileVariable.replace(/_FILE$/, '');
    if (name === fileVariable || !variables.has(name)) continue;
    if (env[name] !== undefined) {
      issues.push(`${name}: set either ${name} or ${fileVariable}, not both`);
      continue;
    }
    try {
      // A trailing newline is how editors and `echo` end a file, never part of the secret.
      resolved[name] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      issues.push(
        `${fileVariable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  }
  return resolved;
}

function productionSecretIssues(schema: z.ZodType, env: Record<string, string>): string[] {
  if (!(schema instanceof z.ZodObject)) return [];
  const issues: string[] = [];
  for (const [name, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const secret = developmentSecrets.get(field);
    if (!secret) continue;
    const value = env[name];
    if (value === undefined) {
      issues.push(`${name}: must be set in production (or ${name}_FILE, a file holding it)`);
    } else if (value === secret.developmentDefault) {
      issues.push(`${name}: is the development default, which anyone can read; set your own`);
    } else if (Buffer.byteLength(value) < MIN_PRODUCTION_SECRET_BYTES) {
      issues.push(`${name}: must be at least ${MIN_PRODUCTION_SECRET_BYTES} bytes in production`);
    }
  }
  return issues;
}

/** A TCP port variable with a default. */
const portVar = (defaultPort: number) =>
  z.coerce.number().int().min(0).max(65_535).default(defaultPort);

/** A non-negative integer variable, such as a duration in milliseconds, with a default. */
export const intVar = (defaultValue: number) =>
  z.coerce.number().int().min(0).default(defaultValue);

/** A positive integer variable, for a value where 0 would be wrong (a timeout, a count), with a default. */
export const positiveIntVar = (defaultValue: number) =>
  z.coerce.number().int().min(1).default(defaultValue);

/** An http(s) URL variable with a default. */
export const urlVar = (defaultUrl: string) => z.url({ protocol: /^https?$/ }).default(defaultUrl);

/**
 * A secret variable of at least 16 characters, with a development default that
 * {@link loadConfig} refuses in production.
 */
export const secretVar = (developmentDefault: string) =>
  z
    .string()
    .min(16)
    .default(developmentDefault)
    .register(developmentSecrets, { developmentDefault });

/** The log level variable. */
const logLevelVar = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');

/** Development default of the secret that signs internal credentials; set INTERNAL_TOKEN_SECRET in production. */
export const DEVELOPMENT_INTERNAL_TOKEN_SECRET = 'cheesecake-internal-dev-secret-change-me';

/**
 * Where a service keeps its embedded database unless DATA_DIR says otherwise:
 * `<repository>/.data/<service>`, resolved from this file rather than the working directory,
 * so `pnpm start`, `node dist/main.js` and `tsx src/main.ts` all use the same one (decision
 * 0005). The path has the same depth from src/ and dist/.
 */
function defaultDataDir(service: string): string {
  return fileURLToPath(new URL(`../../../.data/${service}`, import.meta.url));
}

/**
 * The variables every backend service reads: where to listen, how to log, which database
 * (or where its embedded one lives), the internal credential secret and the JSON body limit.
 */
export function serviceEnvSchema(options: { service: string; port: number }) {
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
    DATA_DIR: z.string().default(defaultDataDir(options.service)),
    INTERNAL_TOKEN_SECRET: secretVar(DEVELOPMENT_INTERNAL_TOKEN_SECRET),
    BODY_LIMIT: z
      .string()
      .regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb')
      .default('100kb'),
  });
}

/**
 * The variables of a backend service that calls others and relays an outbox to them: the calls'
 * timeout, how often the relay polls, and how many attempts a message gets (`ServiceCalls`).
 * None may be 0: a zero timeout would disable it, a zero interval spin, zero attempts give up.
 */
export const callerEnv = {
  DOWNSTREAM_TIMEOUT_MS: positiveIntVar(5_000),
  OUTBOX_POLL_INTERVAL_MS: positiveIntVar(250),
  OUTBOX_MAX_ATTEMPTS: positiveIntVar(100),
};
