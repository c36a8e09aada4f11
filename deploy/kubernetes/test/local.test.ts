import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  containerEnvironment,
  fileSource,
  renderedSecretValues,
  secretReferences,
} from './support/env.js';
import {
  kubectlAvailable,
  ofKind,
  REPO_ROOT,
  renderOverlay,
  SERVICES,
  serviceContainer,
  workloadNamed,
  workloads,
} from './support/render.js';

const INIT_SCRIPT = 'docker/postgres/create-service-databases.sh';

/** The init script's `create <user and database> "$<PASSWORD_FILE variable>"` lines. */
function databasesOfInitScript(): Array<{ database: string; passwordVariable: string }> {
  const script = readFileSync(join(REPO_ROOT, INIT_SCRIPT), 'utf8');
  return [...script.matchAll(/^create (\w+) "\$(\w+)"$/gm)].map(([, database, variable]) => ({
    database: database ?? '',
    passwordVariable: variable ?? '',
  }));
}

const objects = () => renderOverlay('local');

/** The content of a file the postgres container reads, through its mounts. */
function postgresFile(path: string): string | undefined {
  const postgres = workloadNamed(objects(), 'postgres');
  const [container] = postgres.pod.containers;
  const source = container && fileSource(postgres, container, path);
  return source && renderedSecretValues(objects())(source.name, source.key);
}

/** The DATABASE_URL a service reads, through its ConfigMaps, mounts and Secrets. */
function databaseUrl(service: string): string | undefined {
  const workload = workloadNamed(objects(), service);
  const [container] = workload.pod.containers;
  if (!container) return undefined;
  const secrets = renderedSecretValues(objects());
  return containerEnvironment(objects(), workload, container, secrets).DATABASE_URL;
}

const available = kubectlAvailable();

describe('overlays/local', () => {
  describe.runIf(available)('the workloads', () => {
    it('run one replica each', () => {
      const replicas = workloads(objects()).map((workload) => workload.replicas ?? 1);

      expect(new Set(replicas)).toEqual(new Set([1]));
    });

    it('run the images kind was given, pulling none of them', () => {
      const containers = workloads(objects()).flatMap((workload) => workload.pod.containers);

      const images = SERVICES.map((service) => serviceContainer(objects(), service).image);
      const policies = containers.map((container) => container.imagePullPolicy);

      expect(images).toEqual(SERVICES.map((service) => `cheesecake-${service}`));
      expect(new Set(policies)).toEqual(new Set(['IfNotPresent']));
    });

    it('run PostgreSQL and Redis from the images docker-compose.yml runs', () => {
      const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'));

      const images = ['postgres', 'redis'].map(
        (name) => workloadNamed(objects(), name).pod.containers[0]?.image,
      );

      expect(images).toEqual([compose.services.postgres.image, compose.services.redis.image]);
    });

    it('read only Secrets the overlay generates, and only keys those have', () => {
      const rendered = ofKind<ISecret>(objects(), 'Secret');

      const missing = secretReferences(objects()).filter((reference) => {
        const [name, ...keys] = reference.split(' ');
        const data = rendered.find((secret) => secret.metadata?.name === name)?.data;
        return !data || keys.some((key) => key !== '*' && data[key] === undefined);
      });

      expect(missing).toEqual([]);
    });
  });
});

describe('overlays/local', () => {
  describe.runIf(available)('PostgreSQL', () => {
    it(`is initialized by compose's own script, ${INIT_SCRIPT}`, () => {
      const init = ofKind<IConfigMap>(objects(), 'ConfigMap').find((configMap) =>
        configMap.metadata?.name?.startsWith('postgres-init'),
      );
      const postgres = workloadNamed(objects(), 'postgres');
      const mount = postgres.pod.containers[0]?.volumeMounts?.find(
        (candidate) => candidate.mountPath === '/docker-entrypoint-initdb.d',
      );
      const volume = postgres.pod.volumes?.find((candidate) => candidate.name === mount?.name);

      const script = init?.data?.['create-service-databases.sh'];

      expect(script).toBe(readFileSync(join(REPO_ROOT, INIT_SCRIPT), 'utf8'));
      expect(volume?.configMap?.name).toBe(init?.metadata?.name);
      expect((volume?.configMap?.defaultMode ?? 0) & 0o111).toBe(0o111);
    });

    it('gives each service the user, password and database the init script creates for it', () => {
      const postgresEnv = workloadNamed(objects(), 'postgres').pod.containers[0]?.env ?? [];
      const databases = databasesOfInitScript();

      const urls = databases.map(({ database }) => databaseUrl(database.replace(/_service$/, '')));
      const expected = databases.map(({ database, passwordVariable }) => {
        const file = postgresEnv.find((variable) => variable.name === passwordVariable)?.value;
        return `postgres://${database}:${postgresFile(file ?? '')}@postgres:5432/${database}`;
      });

      expect(urls).toEqual(expected);
      expect(urls).toHaveLength(3);
    });

    it('reads its superuser password from the Secret', () => {
      const postgres = workloadNamed(objects(), 'postgres');
      const variable = postgres.pod.containers[0]?.env?.find(
        (candidate) => candidate.name === 'POSTGRES_PASSWORD_FILE',
      );

      const password = postgresFile(variable?.value ?? '');

      expect(password?.length).toBeGreaterThan(0);
    });

    it('keeps its data on a PersistentVolumeClaim', () => {
      const [statefulSet] = ofKind<IStatefulSet>(objects(), 'StatefulSet');
      const container = workloadNamed(objects(), 'postgres').pod.containers[0];
      const pgdata = container?.env?.find((variable) => variable.name === 'PGDATA')?.value ?? '';

      const claims = statefulSet?.spec?.volumeClaimTemplates?.map((claim) => claim.metadata?.name);
      const mount = container?.volumeMounts?.find((candidate) => candidate.name === claims?.[0]);

      expect(claims).toEqual(['data']);
      expect(pgdata.startsWith(`${mount?.mountPath}/`)).toBe(true);
    });
  });
});

describe('overlays/local', () => {
  describe.runIf(available)('the Ingress', () => {
    it('serves http://localhost, without TLS', () => {
      const [ingress] = ofKind<IIngress>(objects(), 'Ingress');

      const hosts = ingress?.spec?.rules?.map((rule) => rule.host);

      expect(hosts).toEqual(['localhost']);
      expect(ingress?.spec?.tls).toBeUndefined();
    });
  });
});
