import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import { describe, expect, it } from 'vitest';
import {
  containerPort,
  type KubernetesObject,
  kubectlAvailable,
  OVERLAYS,
  type Overlay,
  ofKind,
  REPO_ROOT,
  renderOverlay,
  SERVICES,
  selects,
  serviceContainer,
  workloadNamed,
  workloads,
} from './support/render.js';

/** How long a service may take to shut down after SIGTERM, as lifecycle.ts says (in ms). */
function shutdownGraceSeconds(): number {
  const source = readFileSync(join(REPO_ROOT, 'packages/service-kit/src/lifecycle.ts'), 'utf8');
  const grace = /graceMs \?\? ([\d_]+)/.exec(source)?.[1];
  if (!grace) throw new Error('No default graceMs in packages/service-kit/src/lifecycle.ts');
  return Number(grace.replaceAll('_', '')) / 1000;
}

const UNITS: Record<string, number> = { '': 1, m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };

/** A resource quantity such as `100m` or `384Mi` as a number. */
function quantity(value: string | number | undefined): number {
  const [, amount, unit] = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|)$/.exec(String(value)) ?? [];
  const factor = UNITS[unit ?? 'none'];
  if (amount === undefined || factor === undefined) return Number.NaN;
  return Number(amount) * factor;
}

const probeWindowSeconds = (probe: IProbe | undefined) =>
  (probe?.periodSeconds ?? 10) * (probe?.failureThreshold ?? 3);

function httpProbe(container: IContainer, probe: IProbe | undefined) {
  return {
    path: probe?.httpGet?.path,
    port: containerPort([container], probe?.httpGet?.port),
  };
}

function containersOf(objects: KubernetesObject[]) {
  return workloads(objects).flatMap((workload) =>
    workload.pod.containers.map((container) => ({ workload, container })),
  );
}

/** What a container runs with: its own security context over its pod's. */
function securityOf({ workload, container }: ReturnType<typeof containersOf>[number]) {
  const pod = workload.pod.securityContext ?? {};
  const own = container.securityContext ?? {};
  return {
    container: container.name,
    runAsNonRoot: own.runAsNonRoot ?? pod.runAsNonRoot,
    numericNonRootUser: (own.runAsUser ?? pod.runAsUser ?? 0) > 0,
    seccomp: (own.seccompProfile ?? pod.seccompProfile)?.type,
    allowPrivilegeEscalation: own.allowPrivilegeEscalation,
    readOnlyRootFilesystem: own.readOnlyRootFilesystem,
    dropped: own.capabilities?.drop,
    added: own.capabilities?.add ?? [],
    privileged: own.privileged ?? false,
    serviceAccountToken: workload.pod.automountServiceAccountToken,
  };
}

const available = kubectlAvailable();
// Rendered when a test runs, not when the suite is collected: without kubectl, never.
const objectsOf = (overlay: Overlay) => () => renderOverlay(overlay);

describe.each(OVERLAYS)('overlays/%s', (overlay) => {
  describe.runIf(available)('the probes', () => {
    const objects = objectsOf(overlay);

    it.each(SERVICES)('check %s on /healthz and /readyz at the port it declares', (service) => {
      const container = serviceContainer(objects(), service);
      const port = container.ports?.[0]?.containerPort;

      const probes = {
        startup: httpProbe(container, container.startupProbe),
        liveness: httpProbe(container, container.livenessProbe),
        readiness: httpProbe(container, container.readinessProbe),
      };

      expect(port).toBeDefined();
      expect(probes).toEqual({
        startup: { path: '/healthz', port },
        liveness: { path: '/healthz', port },
        readiness: { path: '/readyz', port },
      });
    });

    it.each(SERVICES)('give %s at least two minutes to start, migrations included', (service) => {
      const container = serviceContainer(objects(), service);

      const window = probeWindowSeconds(container.startupProbe);

      expect(window).toBeGreaterThanOrEqual(120);
    });

    it('cover every container: startup, liveness and readiness', () => {
      const missing = containersOf(objects()).filter(
        ({ container }) =>
          !container.startupProbe || !container.livenessProbe || !container.readinessProbe,
      );

      expect(missing.map(({ container }) => container.name)).toEqual([]);
    });
  });
});

describe.each(OVERLAYS)('overlays/%s', (overlay) => {
  describe.runIf(available)('the containers', () => {
    const objects = objectsOf(overlay);

    it('each request and limit CPU and memory, requests within limits', () => {
      const wrong = containersOf(objects()).flatMap(({ container }) =>
        ['cpu', 'memory'].flatMap((resource) => {
          const request = quantity(container.resources?.requests?.[resource]);
          const limit = quantity(container.resources?.limits?.[resource]);
          return request > 0 && limit >= request ? [] : [`${container.name} ${resource}`];
        }),
      );

      expect(wrong).toEqual([]);
    });

    it('each run unprivileged, on a read-only root file system, without an API token', () => {
      const contexts = containersOf(objects()).map(securityOf);

      for (const context of contexts) {
        expect(context).toEqual({
          container: context.container,
          runAsNonRoot: true,
          numericNonRootUser: true,
          seccomp: 'RuntimeDefault',
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          dropped: ['ALL'],
          added: [],
          privileged: false,
          serviceAccountToken: false,
        });
      }
    });

    it.each(SERVICES)('give %s a writable /tmp of its own', (service) => {
      const { pod } = workloadNamed(objects(), service);
      const mount = serviceContainer(objects(), service).volumeMounts?.find(
        (candidate) => candidate.mountPath === '/tmp',
      );

      const volume = pod.volumes?.find((candidate) => candidate.name === mount?.name);

      expect(mount?.readOnly ?? false).toBe(false);
      expect(volume?.emptyDir).toBeDefined();
    });
  });
});

describe.each(OVERLAYS)('overlays/%s', (overlay) => {
  describe.runIf(available)('shutting down', () => {
    const objects = objectsOf(overlay);

    it.each(SERVICES)(
      'lets %s leave the endpoints before SIGTERM, and finish before SIGKILL',
      (service) => {
        const { pod } = workloadNamed(objects(), service);
        const command =
          serviceContainer(objects(), service).lifecycle?.preStop?.exec?.command ?? [];

        const [program, seconds] = command;
        const needed = Number(seconds) + shutdownGraceSeconds();

        expect(program).toBe('sleep');
        expect(Number(seconds)).toBeGreaterThanOrEqual(3);
        expect(pod.terminationGracePeriodSeconds ?? 30).toBeGreaterThan(needed);
      },
    );

    it.each(SERVICES)('lets a drain evict one pod of %s at a time', (service) => {
      const workload = workloadNamed(objects(), service);
      const budgets = ofKind<IPodDisruptionBudget>(objects(), 'PodDisruptionBudget').filter(
        (budget) => selects(budget.spec?.selector ?? {}, workload.podLabels),
      );

      const maxUnavailable = budgets.map((budget) => budget.spec?.maxUnavailable);

      expect(maxUnavailable).toEqual([1]);
    });
  });
});
