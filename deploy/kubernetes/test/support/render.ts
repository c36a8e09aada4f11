import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { parseAllDocuments } from 'yaml';

/** The folder of the manifests: `base/` and `overlays/`. */
export const KUBERNETES_DIR = fileURLToPath(new URL('../..', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../../..', import.meta.url));

export const OVERLAYS = ['local', 'production'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** The four services, as their Deployments, Services and images name them. */
export const SERVICES = ['gateway', 'order', 'payment', 'kitchen'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** What every rendered object has; the rest depends on its kind. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/**
 * Whether the manifests can be rendered here. Without kubectl the tests are skipped with a
 * line saying how to enable them, except under `CI=true`, where a skip would hide them: there
 * the suite fails instead.
 */
export function kubectlAvailable(): boolean {
  const found = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
  if (found.status === 0) return true;
  const how = `install Debian's kubernetes-client (apt-get install kubernetes-client)`;
  if (process.env.CI === 'true') throw new Error(`No kubectl on PATH: ${how}`);
  console.log(`Skipping the Kubernetes manifests' tests: no kubectl on PATH; ${how}.`);
  return false;
}

const rendered = new Map<string, KubernetesObject[]>();

/** The objects `kubectl kustomize` renders for a kustomization folder under deploy/kubernetes. */
export function render(folder: string): KubernetesObject[] {
  const cached = rendered.get(folder);
  if (cached) return cached;
  const result = spawnSync('kubectl', ['kustomize', `${KUBERNETES_DIR}${folder}`], {
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`kubectl kustomize ${folder} failed:\n${result.stderr || result.error}`);
  }
  const objects = parseAllDocuments(result.stdout).map((document) => {
    if (document.errors.length > 0) throw document.errors[0];
    return document.toJS() as KubernetesObject;
  });
  rendered.set(folder, objects);
  return objects;
}

/** An overlay's objects. */
export const renderOverlay = (overlay: Overlay) => render(`overlays/${overlay}`);

export function ofKind<T>(objects: KubernetesObject[], kind: string): T[] {
  return objects.filter((object) => object.kind === kind) as T[];
}

export function named<T extends { metadata?: { name?: string } }>(objects: T[], name: string): T {
  const found = objects.find((object) => object.metadata?.name === name);
  if (!found) throw new Error(`No object named ${name}`);
  return found;
}

/** A Deployment or StatefulSet: what runs pods, with the labels and spec of its pods. */
export interface Workload {
  kind: 'Deployment' | 'StatefulSet';
  name: string;
  replicas: number | undefined;
  podLabels: Record<string, string>;
  pod: IPodSpec;
}

export function workloads(objects: KubernetesObject[]): Workload[] {
  const controllers = [
    ...ofKind<IDeployment>(objects, 'Deployment'),
    ...ofKind<IStatefulSet>(objects, 'StatefulSet'),
  ];
  return controllers.map((controller) => {
    const spec = controller.spec;
    if (!spec?.template.spec) throw new Error(`${controller.metadata?.name} has no pod spec`);
    return {
      kind: controller.kind,
      name: controller.metadata?.name ?? '',
      replicas: spec.replicas,
      podLabels: spec.template.metadata?.labels ?? {},
      pod: spec.template.spec,
    };
  });
}

export function workloadNamed(objects: KubernetesObject[], name: string): Workload {
  const found = workloads(objects).find((candidate) => candidate.name === name);
  if (!found) throw new Error(`No Deployment or StatefulSet named ${name}`);
  return found;
}

/** A service's one container, named after it. */
export function serviceContainer(objects: KubernetesObject[], service: ServiceName): IContainer {
  const container = workloadNamed(objects, service).pod.containers.find(
    (candidate) => candidate.name === service,
  );
  if (!container) throw new Error(`The ${service} Deployment has no container named ${service}`);
  return container;
}

/** The container port a probe, Service or policy names, by number or by name; else undefined. */
export function containerPort(
  containers: IContainer[],
  port: number | string | undefined,
): number | undefined {
  const ports = containers.flatMap((container) => container.ports ?? []);
  const found = ports.find((candidate) =>
    typeof port === 'number' ? candidate.containerPort === port : candidate.name === port,
  );
  return found?.containerPort;
}

/** Whether a label selector's matchLabels and matchExpressions all hold for `labels`. */
export function selects(
  selector: {
    matchLabels?: Record<string, string>;
    matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
  },
  labels: Record<string, string>,
): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(
    ([key, value]) => labels[key] === value,
  );
  const byExpression = (selector.matchExpressions ?? []).every(({ key, operator, values }) => {
    const value = labels[key];
    if (operator === 'Exists') return value !== undefined;
    if (operator === 'DoesNotExist') return value === undefined;
    const listed = value !== undefined && (values ?? []).includes(value);
    return operator === 'In' ? listed : !listed;
  });
  return byLabel && byExpression;
}
