import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { describe, expect, it } from 'vitest';
import { allowedEdges } from './support/network.js';
import {
  type KubernetesObject,
  kubectlAvailable,
  OVERLAYS,
  type Overlay,
  ofKind,
  renderOverlay,
} from './support/render.js';

/** Who calls whom in the code, and the ingress controller in front of the gateway. */
const SERVICE_EDGES = [
  'namespace ingress-nginx -> gateway:8080',
  'gateway -> order:3001',
  'kitchen -> order:3001',
  'gateway -> payment:3002',
  'order -> payment:3002',
  'gateway -> kitchen:3003',
  'order -> kitchen:3003',
];

/** Plus, in the local overlay, the one PostgreSQL server of the three services, and Redis. */
const EXPECTED_EDGES: Record<Overlay, string[]> = {
  local: [
    ...SERVICE_EDGES,
    'order -> postgres:5432',
    'payment -> postgres:5432',
    'kitchen -> postgres:5432',
    'gateway -> redis:6379',
  ],
  production: SERVICE_EDGES,
};

const available = kubectlAvailable();

describe.each(OVERLAYS)('overlays/%s', (overlay) => {
  describe.runIf(available)('the NetworkPolicies', () => {
    const objects = () => renderOverlay(overlay);

    it('allow exactly the connections the services make, and no other', () => {
      const edges = allowedEdges(objects());

      expect(edges).toEqual([...EXPECTED_EDGES[overlay]].sort());
    });

    it('deny every other connection into the namespace by default', () => {
      const policies = ofKind<INetworkPolicy>(objects(), 'NetworkPolicy');

      const denyAll = policies.filter(
        (policy) =>
          Object.keys(policy.spec?.podSelector ?? {}).length === 0 &&
          (policy.spec?.ingress ?? []).length === 0,
      );

      expect(denyAll).toHaveLength(1);
    });

    it('restrict no egress, so the connections into each pod are the whole story', () => {
      const policies = ofKind<INetworkPolicy>(objects(), 'NetworkPolicy');

      const egress = policies.filter((policy) => policy.spec?.policyTypes?.includes('Egress'));

      expect(egress).toEqual([]);
    });
  });
});

function pod(name: string): KubernetesObject {
  const labels = { 'app.kubernetes.io/name': name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name, image: name, ports: [{ name: 'http', containerPort: 80 }] }] },
      },
    },
  };
}

function policy(name: string, spec: INetworkPolicy['spec']): KubernetesObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name }, spec };
}

const toApi = { matchLabels: { 'app.kubernetes.io/name': 'api' } };

describe('allowedEdges', () => {
  it('lets anyone reach a pod that no policy selects, on any port', () => {
    const objects = [pod('api')];

    const edges = allowedEdges(objects);

    expect(edges).toEqual(['* -> api:*']);
  });

  it('lets nobody reach a pod whose only policy has no rules', () => {
    const objects = [pod('api'), policy('deny', { podSelector: {}, policyTypes: ['Ingress'] })];

    const edges = allowedEdges(objects);

    expect(edges).toEqual([]);
  });

  it('adds up the rules of every policy that selects a pod, resolving named ports', () => {
    const fromWeb = {
      from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'web' } } }],
    };
    const objects = [
      pod('api'),
      pod('web'),
      policy('deny', { podSelector: {} }),
      policy('web', { podSelector: toApi, ingress: [{ ...fromWeb, ports: [{ port: 'http' }] }] }),
      policy('any', { podSelector: toApi, ingress: [{ ports: [{ port: 9090 }] }] }),
    ];

    const edges = allowedEdges(objects);

    expect(edges).toEqual(['* -> api:unknown port 9090', 'web -> api:80']);
  });

  it('names other namespaces and address blocks, and counts a rule without ports as every port', () => {
    const from = [
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
      { ipBlock: { cidr: '10.0.0.0/8' } },
    ];
    const objects = [pod('api'), policy('outside', { podSelector: toApi, ingress: [{ from }] })];

    const edges = allowedEdges(objects);

    expect(edges).toEqual(['ipBlock 10.0.0.0/8 -> api:*', 'namespace monitoring -> api:*']);
  });
});
