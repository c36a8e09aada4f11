import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import { type KubernetesObject, named, ofKind, type Workload, workloads } from './render.js';

/** A Secret's value by Secret and key. */
export type SecretValues = (secret: string, key: string) => string;

/** Values from the Secrets the overlay renders (secretGenerator); a missing one fails. */
export function renderedSecretValues(objects: KubernetesObject[]): SecretValues {
  const secrets = ofKind<ISecret>(objects, 'Secret');
  return (name, key) => {
    const data = named(secrets, name).data ?? {};
    const value = data[key];
    if (value === undefined) throw new Error(`Secret ${name} has no key ${key}`);
    return Buffer.from(value, 'base64').toString('utf8');
  };
}

/**
 * For Secrets created outside the repository: any value of the shape its key calls for, as
 * docs/kubernetes.md describes them. A Secret the overlay renders fails: it would be a
 * value in the repository.
 */
export function externalSecretValues(
  objects: KubernetesObject[],
  shapes: Record<string, (secret: string) => string>,
): SecretValues {
  const rendered = new Set(ofKind<ISecret>(objects, 'Secret').map((s) => s.metadata?.name));
  return (name, key) => {
    if (rendered.has(name)) throw new Error(`Secret ${name} is rendered, not referenced`);
    const shape = shapes[key];
    if (!shape) throw new Error(`No known shape for key ${key} of Secret ${name}`);
    return shape(name);
  };
}

function configMapData(objects: KubernetesObject[], name: string): Record<string, string> {
  return named(ofKind<IConfigMap>(objects, 'ConfigMap'), name).data ?? {};
}

/** Where a file in the container comes from: a key of a Secret or ConfigMap. */
export interface FileSource {
  kind: 'Secret' | 'ConfigMap';
  name: string;
  key: string;
}

/** A Secret or ConfigMap a volume holds, and which of its keys at which paths (all: no items). */
interface VolumeSource {
  kind: FileSource['kind'];
  name: string;
  items?: Array<{ key: string; path: string }> | undefined;
}

function sourcesOf(volume: IVolume): VolumeSource[] {
  const { secret, configMap, projected } = volume;
  if (secret?.secretName) return [{ kind: 'Secret', name: secret.secretName, items: secret.items }];
  if (configMap?.name) return [{ kind: 'ConfigMap', name: configMap.name, items: configMap.items }];
  return (projected?.sources ?? []).flatMap((source): VolumeSource[] => {
    if (source.secret?.name) {
      return [{ kind: 'Secret', name: source.secret.name, items: source.secret.items }];
    }
    if (source.configMap?.name) {
      return [{ kind: 'ConfigMap', name: source.configMap.name, items: source.configMap.items }];
    }
    return [];
  });
}

/**
 * The Secret or ConfigMap key a file path in the container is, through its volume mounts;
 * undefined when no mounted volume provides it. A source without `items` provides all its
 * keys, so only one listing the file's name by items counts as certain; otherwise the first
 * such source is taken.
 */
export function fileSource(
  workload: Workload,
  container: IContainer,
  path: string,
): FileSource | undefined {
  for (const mount of container.volumeMounts ?? []) {
    if (!path.startsWith(`${mount.mountPath}/`) || mount.subPath) continue;
    const file = path.slice(mount.mountPath.length + 1);
    const volume = workload.pod.volumes?.find((candidate) => candidate.name === mount.name);
    for (const source of volume ? sourcesOf(volume) : []) {
      const item = source.items?.find((candidate) => candidate.path === file);
      if (item) return { kind: source.kind, name: source.name, key: item.key };
      if (!source.items) return { kind: source.kind, name: source.name, key: file };
    }
  }
  return undefined;
}

function contentOf(objects: KubernetesObject[], source: FileSource, secrets: SecretValues): string {
  if (source.kind === 'Secret') return secrets(source.name, source.key);
  const value = configMapData(objects, source.name)[source.key];
  if (value === undefined) throw new Error(`ConfigMap ${source.name} has no key ${source.key}`);
  return value;
}

/**
 * The environment a container starts with, every value resolved through the rendered
 * ConfigMaps and `secrets`. A `<NAME>_FILE` variable that names a file of a mounted Secret or
 * ConfigMap becomes `<NAME>` with that file's content, as the services' loadConfig reads it;
 * one naming a file no volume provides fails.
 */
export function containerEnvironment(
  objects: KubernetesObject[],
  workload: Workload,
  container: IContainer,
  secrets: SecretValues,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (!from.configMapRef?.name)
      throw new Error(`${container.name}: envFrom other than a ConfigMap`);
    Object.assign(env, configMapData(objects, from.configMapRef.name));
  }
  for (const variable of container.env ?? []) {
    const { configMapKeyRef, secretKeyRef } = variable.valueFrom ?? {};
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (configMapKeyRef?.name) {
      const source = {
        kind: 'ConfigMap' as const,
        name: configMapKeyRef.name,
        key: configMapKeyRef.key,
      };
      env[variable.name] = contentOf(objects, source, secrets);
    } else if (secretKeyRef?.name)
      env[variable.name] = secrets(secretKeyRef.name, secretKeyRef.key);
    else
      throw new Error(`${container.name}: ${variable.name} has a value this test cannot resolve`);
  }
  for (const [name, path] of Object.entries(env)) {
    if (!name.endsWith('_FILE')) continue;
    const source = fileSource(workload, container, path);
    if (!source)
      throw new Error(`${container.name}: ${name} names ${path}, which no volume provides`);
    delete env[name];
    env[name.slice(0, -'_FILE'.length)] = contentOf(objects, source, secrets);
  }
  return env;
}

/** Every Secret the pods and the Ingress use, with the keys they read (`*` for all of them). */
export function secretReferences(objects: KubernetesObject[]): string[] {
  const fromPods = workloads(objects).flatMap(({ pod }) => {
    const volumes = (pod.volumes ?? []).flatMap((volume) =>
      sourcesOf(volume)
        .filter((source) => source.kind === 'Secret')
        .flatMap((source) =>
          source.items
            ? source.items.map((item) => `${source.name} ${item.key}`)
            : [`${source.name} *`],
        ),
    );
    const variables = pod.containers.flatMap((container) => [
      ...(container.env ?? []).flatMap(({ valueFrom }) =>
        valueFrom?.secretKeyRef
          ? [`${valueFrom.secretKeyRef.name} ${valueFrom.secretKeyRef.key}`]
          : [],
      ),
      ...(container.envFrom ?? []).flatMap(({ secretRef }) =>
        secretRef ? [`${secretRef.name} *`] : [],
      ),
    ]);
    return [...volumes, ...variables];
  });
  const fromIngresses = ofKind<IIngress>(objects, 'Ingress').flatMap((ingress) =>
    (ingress.spec?.tls ?? []).map((tls) => `${tls.secretName} tls.crt tls.key`),
  );
  return [...new Set([...fromPods, ...fromIngresses])].sort();
}
