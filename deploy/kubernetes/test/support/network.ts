import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { INetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import {
  containerPort,
  type KubernetesObject,
  ofKind,
  selects,
  type Workload,
  workloads,
} from './render.js';

/** The namespace the manifests put everything in (kustomization.yaml's `namespace`). */
export const NAMESPACE = 'cheesecake';

type Rule = NonNullable<NonNullable<INetworkPolicy['spec']>['ingress']>[number];

const appliesToIngress = (policy: INetworkPolicy) =>
  (policy.spec?.policyTypes ?? ['Ingress']).includes('Ingress');

/** The pods of the namespace a peer admits, by workload name, or how it names outsiders. */
function peerSources(peer: INetworkPolicyPeer, pods: Workload[]): string[] {
  if (peer.ipBlock) return [`ipBlock ${peer.ipBlock.cidr}`];
  const { namespaceSelector, podSelector } = peer;
  const ownNamespace =
    namespaceSelector === undefined ||
    selects(namespaceSelector, { 'kubernetes.io/metadata.name': NAMESPACE });
  if (ownNamespace) {
    return pods.filter((pod) => selects(podSelector ?? {}, pod.podLabels)).map((pod) => pod.name);
  }
  const namespace = namespaceSelector.matchLabels?.['kubernetes.io/metadata.name'];
  const which = namespace
    ? `namespace ${namespace}`
    : `namespaces ${JSON.stringify(namespaceSelector)}`;
  return [podSelector ? `${which} pods ${JSON.stringify(podSelector)}` : which];
}

function ruleEdges(rule: Rule, target: Workload, pods: Workload[]): string[] {
  const sources =
    rule.from && rule.from.length > 0
      ? rule.from.flatMap((peer) => peerSources(peer, pods))
      : ['*'];
  const ports =
    rule.ports && rule.ports.length > 0
      ? rule.ports.map((port) => {
          const number = containerPort(target.pod.containers, port.port);
          const protocol = port.protocol ?? 'TCP';
          const shown = port.port === undefined ? '*' : (number ?? `unknown port ${port.port}`);
          return protocol === 'TCP' ? `${shown}` : `${shown}/${protocol}`;
        })
      : ['*'];
  return sources.flatMap((source) => ports.map((port) => `${source} -> ${target.name}:${port}`));
}

/**
 * Every connection the rendered NetworkPolicies allow into the namespace's pods, as
 * `from -> to:port`: a pod no policy selects accepts anyone on any port (`* -> pod:*`);
 * a selected pod accepts only what one of its policies' rules allows, the union of them.
 * `from` is a workload's name, `namespace <name>` for another namespace's pods, `ipBlock`
 * for addresses, `*` for anyone.
 */
export function allowedEdges(objects: KubernetesObject[]): string[] {
  const pods = workloads(objects);
  const policies = ofKind<INetworkPolicy>(objects, 'NetworkPolicy').filter(appliesToIngress);
  const edges = pods.flatMap((target) => {
    const selecting = policies.filter((policy) =>
      selects(policy.spec?.podSelector ?? {}, target.podLabels),
    );
    if (selecting.length === 0) return [`* -> ${target.name}:*`];
    return selecting.flatMap((policy) =>
      (policy.spec?.ingress ?? []).flatMap((rule) => ruleEdges(rule, target, pods)),
    );
  });
  return [...new Set(edges)].sort();
}
