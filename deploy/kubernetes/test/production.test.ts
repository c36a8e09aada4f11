import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { describe, expect, it } from 'vitest';
import { secretReferences } from './support/env.js';
import {
  kubectlAvailable,
  ofKind,
  REPO_ROOT,
  renderOverlay,
  SERVICES,
  selects,
  serviceContainer,
  workloadNamed,
  workloads,
} from './support/render.js';

const objects = () => renderOverlay('production');
const autoscalers = () => ofKind<IHorizontalPodAutoscaler>(objects(), 'HorizontalPodAutoscaler');

const autoscalerOf = (deployment: string) =>
  autoscalers().find(
    (autoscaler) =>
      autoscaler.spec?.scaleTargetRef.kind === 'Deployment' &&
      autoscaler.spec.scaleTargetRef.name === deployment,
  );

const available = kubectlAvailable();

describe('overlays/production', () => {
  describe.runIf(available)('what comes from outside', () => {
    it('fills in no Secret: every one is created outside the repository', () => {
      const secrets = objects().filter((object) => object.kind === 'Secret');

      expect(secrets).toEqual([]);
    });

    it('reads only the Secrets and keys docs/kubernetes.md tells operators to create', () => {
      const guide = readFileSync(join(REPO_ROOT, 'docs/kubernetes.md'), 'utf8');

      const undocumented = secretReferences(objects()).flatMap((reference) =>
        reference
          .split(' ')
          .filter((name) => name !== '*' && !guide.includes(`\`${name}\``))
          .map((name) => `${name} (of ${reference})`),
      );

      expect(undocumented).toEqual([]);
    });

    it('runs no database or Redis of its own', () => {
      const names = workloads(objects()).map((workload) => workload.name);

      expect(names.sort()).toEqual([...SERVICES].sort());
    });

    it.each(SERVICES)('pulls %s from a registry, at a version that does not move', (service) => {
      const image = serviceContainer(objects(), service).image ?? '';

      const [, registry, tag] =
        /^([^/]+)\/.+?(?::([\w.-]+)|@sha256:[0-9a-f]{64})$/.exec(image) ?? [];

      expect(registry).toBeDefined();
      expect(tag).not.toBe('latest');
    });
  });
});

describe('overlays/production', () => {
  describe.runIf(available)('the replicas', () => {
    it.each(SERVICES)('are at least two of %s', (service) => {
      const replicas = workloadNamed(objects(), service).replicas;

      const least = autoscalerOf(service)?.spec?.minReplicas ?? replicas ?? 1;

      expect(least).toBeGreaterThanOrEqual(2);
    });

    it.each(['gateway', 'order'])(
      'of %s follow a HorizontalPodAutoscaler, which alone sets them',
      (service) => {
        const autoscaler = autoscalerOf(service);

        const replicas = workloadNamed(objects(), service).replicas;

        expect(autoscaler?.apiVersion).toBe('autoscaling/v2');
        expect(autoscaler?.spec?.maxReplicas).toBeGreaterThan(autoscaler?.spec?.minReplicas ?? 1);
        expect(autoscaler?.spec?.metrics?.length).toBeGreaterThan(0);
        expect(replicas).toBeUndefined();
      },
    );

    it('are scaled only for Deployments that exist', () => {
      const targets = autoscalers().map((autoscaler) => autoscaler.spec?.scaleTargetRef.name);

      const missing = targets.filter((target) => !SERVICES.some((service) => service === target));

      expect(targets.length).toBeGreaterThan(0);
      expect(missing).toEqual([]);
    });

    it.each(SERVICES)('of %s spread across nodes', (service) => {
      const workload = workloadNamed(objects(), service);

      const byNode = workload.pod.topologySpreadConstraints?.filter(
        (constraint) =>
          constraint.topologyKey === 'kubernetes.io/hostname' &&
          selects(constraint.labelSelector ?? {}, workload.podLabels),
      );

      expect(byNode).toHaveLength(1);
      expect(byNode?.[0]?.maxSkew).toBe(1);
    });
  });
});

describe('overlays/production', () => {
  describe.runIf(available)('the Ingress', () => {
    it('ends TLS for every host it serves', () => {
      const [ingress] = ofKind<IIngress>(objects(), 'Ingress');

      const hosts = ingress?.spec?.rules?.map((rule) => rule.host) ?? [];
      const covered = (ingress?.spec?.tls ?? [])
        .filter((tls) => tls.secretName)
        .flatMap((tls) => tls.hosts);

      expect(hosts.length).toBeGreaterThan(0);
      expect(hosts.every((host) => host && covered.includes(host))).toBe(true);
    });
  });
});
