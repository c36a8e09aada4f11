import { randomBytes } from 'node:crypto';
import type { IService } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import {
  containerEnvironment,
  externalSecretValues,
  renderedSecretValues,
  type SecretValues,
} from './support/env.js';
import {
  containerPort,
  type KubernetesObject,
  kubectlAvailable,
  OVERLAYS,
  type Overlay,
  ofKind,
  renderOverlay,
  SERVICES,
  type ServiceName,
  serviceContainer,
  workloadNamed,
} from './support/render.js';
import { configLoader } from './support/services.js';

const secret = () => randomBytes(48).toString('base64url');

/** Values of the shape docs/kubernetes.md asks of each key of the production Secrets. */
const PRODUCTION_SECRET_SHAPES: Record<string, (name: string) => string> = {
  'internal-token-secret': secret,
  'jwt-secret': secret,
  'demo-password': secret,
  'database-url': (name) => `postgres://app:${secret()}@db.example.com:5432/${name}`,
  'redis-url': () => `rediss://default:${secret()}@redis.example.com:6380`,
};

function secretValues(overlay: Overlay, objects: KubernetesObject[]): SecretValues {
  return overlay === 'local'
    ? renderedSecretValues(objects)
    : externalSecretValues(objects, PRODUCTION_SECRET_SHAPES);
}

function environment(overlay: Overlay, service: ServiceName): Record<string, string> {
  const objects = renderOverlay(overlay);
  const container = serviceContainer(objects, service);
  return containerEnvironment(
    objects,
    workloadNamed(objects, service),
    container,
    secretValues(overlay, objects),
  );
}

/** `http://order:3001` as the Service it names: whose pods listen on that port. */
function serviceAt(objects: KubernetesObject[], url: string) {
  const { hostname, port } = new URL(url);
  const service = ofKind<IService>(objects, 'Service').find((s) => s.metadata?.name === hostname);
  const servicePort = service?.spec?.ports?.find((candidate) => candidate.port === Number(port));
  const pods = service ? workloadNamed(objects, hostname).pod.containers : [];
  return {
    service: service?.metadata?.name,
    reachesPods: containerPort(pods, servicePort?.targetPort) !== undefined,
  };
}

/** Which services each one calls, in the order its config.ts lists their URLs. */
const CALLS: Record<string, ServiceName[]> = {
  gateway: ['order', 'payment', 'kitchen'],
  order: ['payment', 'kitchen'],
  kitchen: ['order'],
  payment: [],
};

const available = kubectlAvailable();

describe.each(OVERLAYS)('overlays/%s', (overlay) => {
  describe.runIf(available)("the services' configuration", () => {
    it.each(SERVICES)(
      'is accepted by the config reader of %s, in production mode',
      async (service) => {
        const load = await configLoader(service);
        const env = environment(overlay, service);

        const config = () => load(env);

        expect(env.NODE_ENV).toBe('production');
        expect(config).not.toThrow();
      },
    );

    it.each(SERVICES)(
      'has %s listen on every interface, on the port its container declares',
      async (service) => {
        const load = await configLoader(service);
        const container = serviceContainer(renderOverlay(overlay), service);

        const config = load(environment(overlay, service));

        expect(config.HOST).toBe('0.0.0.0');
        expect(config.PORT).toBe(container.ports?.[0]?.containerPort);
      },
    );

    it.each(['order', 'payment', 'kitchen'] as const)(
      'gives %s a PostgreSQL database, never the embedded one',
      async (service) => {
        const load = await configLoader(service);

        const config = load(environment(overlay, service));

        expect(String(config.DATABASE_URL)).toMatch(/^postgres(ql)?:\/\//);
      },
    );

    it.each(Object.entries(CALLS))(
      'has %s call exactly %j, through their Services',
      async (caller, callees) => {
        const load = await configLoader(caller as ServiceName);
        const objects = renderOverlay(overlay);

        const config = load(environment(overlay, caller as ServiceName));
        const urls = Object.entries(config).filter(([name]) => name.endsWith('_SERVICE_URL'));
        const reached = urls.map(([name, url]) => ({ name, ...serviceAt(objects, String(url)) }));

        expect(reached).toEqual(
          callees.map((callee) => ({
            name: `${callee.toUpperCase()}_SERVICE_URL`,
            service: callee,
            reachesPods: true,
          })),
        );
      },
    );

    it('has the gateway count rate limits in Redis and trust one proxy hop', async () => {
      const load = await configLoader('gateway');

      const config = load(environment(overlay, 'gateway'));

      expect(String(config.REDIS_URL)).toMatch(/^rediss?:\/\//);
      expect(config.TRUST_PROXY).toBe(1);
    });
  });
});
