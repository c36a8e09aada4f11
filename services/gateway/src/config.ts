import {
  intVar,
  loadConfig,
  positiveIntVar,
  secretVar,
  serviceEnvSchema,
  urlVar,
} from '@cheesecake/service-kit';
import proxyaddr from 'proxy-addr';
import { z } from 'zod';

/** Development default of the secret that signs access tokens; set JWT_SECRET in production. */
export const DEVELOPMENT_JWT_SECRET = 'cheesecake-jwt-dev-secret-change-me';

// Exact origins only: a path or trailing slash would never match a browser's Origin header,
// and `*` would let any site call the API.
const originListVar = z
  .string()
  .default('')
  .transform((list) =>
    list
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z
        .url({ protocol: /^https?$/ })
        .refine(
          (origin) => URL.canParse(origin) && new URL(origin).origin === origin,
          'must be an origin such as https://shop.example.com: scheme, host and port, no path',
        ),
    ),
  );

// As express's `trust proxy` takes it: how many proxies stand in front of the gateway, or
// the addresses and subnets of those it trusts. Unset, X-Forwarded-For is ignored. `true`
// is refused: trusting every hop lets any client name its own address.
const trustProxyVar = z
  .string()
  .optional()
  .transform((value, context) => {
    if (value === undefined) return false;
    if (/^\d+$/.test(value)) return Number(value);
    const trusted = value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    try {
      // What express does with the list: fails on anything that is not an address or subnet.
      proxyaddr.compile(trusted);
      return trusted;
    } catch (error) {
      context.addIssue({
        code: 'custom',
        message: `must be a hop count, or addresses and subnets such as 10.0.0.0/8 or loopback (${(error as Error).message})`,
      });
      return z.NEVER;
    }
  });

// The gateway keeps no data, so it reads no DATABASE_URL or DATA_DIR. positiveIntVar, unlike
// intVar, refuses 0: a zero timeout would disable it, a zero lifetime issues dead tokens.
const gatewayEnvSchema = serviceEnvSchema({ service: 'gateway', port: 8080 })
  .omit({ DATABASE_URL: true, DATA_DIR: true })
  .extend({
    ORDER_SERVICE_URL: urlVar('http://localhost:3001'),
    PAYMENT_SERVICE_URL: urlVar('http://localhost:3002'),
    KITCHEN_SERVICE_URL: urlVar('http://localhost:3003'),
    // Longer than the services' own timeouts, so their answer (504 included) arrives first.
    DOWNSTREAM_TIMEOUT_MS: positiveIntVar(10_000),
    JWT_SECRET: secretVar(DEVELOPMENT_JWT_SECRET),
    TOKEN_TTL_SECONDS: positiveIntVar(3_600),
    DEMO_PASSWORD: z.string().min(1).default('cheesecake'),
    RATE_LIMIT_PER_MINUTE: positiveIntVar(100),
    RATE_LIMIT_LOGIN_PER_MINUTE: positiveIntVar(10),
    // SSE streams and WebSocket subscriptions together, each holding a stream from the order service.
    STREAMS_PER_USER: positiveIntVar(20),
    // With STREAMS_PER_USER, well under a downstream's bulkhead (100 calls at once), so no
    // one user can fill it.
    REQUESTS_IN_PROGRESS_PER_USER: positiveIntVar(10),
    // 0 turns the gateway's menu cache off; clients then revalidate every time.
    MENU_CACHE_TTL_SECONDS: intVar(30),
    CORS_ALLOWED_ORIGINS: originListVar,
    TRUST_PROXY: trustProxyVar,
    // Unset, each gateway counts rate limits in its own memory: enough for one replica.
    REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
    // Both or neither: with both, the gateway serves HTTPS only.
    TLS_CERT_FILE: z.string().optional(),
    TLS_KEY_FILE: z.string().optional(),
  })
  .superRefine((env, context) => {
    const [given, missing] = env.TLS_CERT_FILE
      ? ['TLS_CERT_FILE', 'TLS_KEY_FILE']
      : ['TLS_KEY_FILE', 'TLS_CERT_FILE'];
    if (Boolean(env.TLS_CERT_FILE) !== Boolean(env.TLS_KEY_FILE)) {
      context.addIssue({ code: 'custom', path: [missing], message: `must be set with ${given}` });
    }
  });

export type GatewayConfig = z.output<typeof gatewayEnvSchema>;

/** Reads the gateway's configuration from the environment, failing fast on a wrong variable. */
export function loadGatewayConfig(env: Record<string, string | undefined> = process.env) {
  return loadConfig(gatewayEnvSchema, env);
}

const UNIT_BYTES = { b: 1, kb: 1024, mb: 1024 * 1024 } as const;

/** A body limit such as `100kb` in bytes, with the units express's body parser gives them. */
export function bodyLimitInBytes(limit: string): number {
  const [, amount, unit] = /^(\d+)(b|kb|mb)$/i.exec(limit) ?? [];
  if (!amount || !unit) throw new Error(`Not a body limit: ${limit}`);
  return Number(amount) * UNIT_BYTES[unit.toLowerCase() as keyof typeof UNIT_BYTES];
}
