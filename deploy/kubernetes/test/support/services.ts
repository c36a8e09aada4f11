import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServiceName } from './render.js';

/** What a service's `load<Name>Config` returns: the parsed variables, by name. */
export type ServiceConfig = Record<string, unknown>;
export type LoadConfig = (env: Record<string, string | undefined>) => ServiceConfig;

const LOADERS: Record<ServiceName, string> = {
  gateway: 'loadGatewayConfig',
  order: 'loadOrderConfig',
  payment: 'loadPaymentConfig',
  kitchen: 'loadKitchenConfig',
};

const require = createRequire(import.meta.url);

/**
 * A service's own config reader, from its build (`dist/config.js`, what the image runs):
 * the schema in its config.ts decides what is required, and loadConfig's production checks
 * apply when NODE_ENV is production. turbo builds the services before this package's tests.
 */
export async function configLoader(service: ServiceName): Promise<LoadConfig> {
  const root = dirname(require.resolve(`@cheesecake/${service}/package.json`));
  const url = pathToFileURL(join(root, 'dist', 'config.js')).href;
  const module = (await import(url).catch((error: Error) => {
    throw new Error(`Cannot load ${url}; build the services first (pnpm build): ${error.message}`);
  })) as Record<string, unknown>;
  const load = module[LOADERS[service]];
  if (typeof load !== 'function') throw new Error(`${url} exports no ${LOADERS[service]}`);
  return load as LoadConfig;
}
