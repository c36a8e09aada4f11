import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { IService } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import {
  containerPort,
  type KubernetesObject,
  kubectlAvailable,
  named,
  OVERLAYS,
  ofKind,
  renderOverlay,
  selects,
  workloads,
} from './support/render.js';

/** The workloads whose pods a Service's selector picks. */
function selected(objects: KubernetesObject[], service: IService) {
  const selector = service.spec?.selector;
  if (!selector) return [];
  return workloads(objects).filter((workload) =>
    selects({ matchLabels: selector }, workload.podLabels),
  );
}

/** Every Service an Ingress sends requests to, with the port it names. */
function ingressBackends(ingress: IIngress) {
  const rules = ingress.spec?.rules ?? [];
  const paths = rules.flatMap((rule) => rule.http?.paths ?? []).map((path) => path.backend);
  const fallback = ingress.spec?.defaultBackend;
  return [...paths, ...(fallback ? [fallback] : [])].map((backend) => ({
    service: backend.service?.name,
    port: backend.service?.port?.name ?? backend.service?.port?.number,
  }));
}

const available = kubectlAvailable();

describe.each(OVERLAYS)('overlays/%s', (overlay) => {
  describe.runIf(available)('the Services', () => {
    const objects = () => renderOverlay(overlay);
    const services = () => ofKind<IService>(objects(), 'Service');

    it('each select the pods of exactly one Deployment or StatefulSet', () => {
      const selections = services().map((service) => ({
        service: service.metadata?.name,
        workloads: selected(objects(), service).map((workload) => workload.name),
      }));

      const wrong = selections.filter((selection) => selection.workloads.length !== 1);

      expect(selections.length).toBeGreaterThan(0);
      expect(wrong).toEqual([]);
    });

    it('each send to a port its pods declare', () => {
      const unmatched = services().flatMap((service) => {
        const [target] = selected(objects(), service);
        return (service.spec?.ports ?? [])
          .filter(
            (port) => !containerPort(target?.pod.containers ?? [], port.targetPort ?? port.port),
          )
          .map((port) => `${service.metadata?.name}:${port.port}`);
      });

      expect(unmatched).toEqual([]);
    });

    it.each(['order', 'payment', 'kitchen'])(
      'make %s headless, so that callers find every pod and balance over them',
      (name) => {
        const service = named(services(), name);

        const headless = service.spec?.clusterIP;

        expect(headless).toBe('None');
      },
    );

    it('give headless Services the container port itself, since callers connect to the pods', () => {
      const headless = services().filter((service) => service.spec?.clusterIP === 'None');

      const mismatched = headless.flatMap((service) => {
        const [target] = selected(objects(), service);
        return (service.spec?.ports ?? [])
          .filter(
            (port) => containerPort(target?.pod.containers ?? [], port.targetPort) !== port.port,
          )
          .map((port) => `${service.metadata?.name}:${port.port}`);
      });

      expect(headless.length).toBeGreaterThan(0);
      expect(mismatched).toEqual([]);
    });
  });
});

describe.each(OVERLAYS)('overlays/%s', (overlay) => {
  describe.runIf(available)('the way in', () => {
    const objects = () => renderOverlay(overlay);
    const services = () => ofKind<IService>(objects(), 'Service');

    it('is the gateway, behind a ClusterIP Service', () => {
      const gateway = named(services(), 'gateway');

      const type = gateway.spec?.type ?? 'ClusterIP';

      expect(type).toBe('ClusterIP');
      expect(gateway.spec?.clusterIP).toBeUndefined();
    });

    it('publishes no Service outside the cluster: no NodePort, LoadBalancer or ExternalName', () => {
      const types = services().map((service) => service.spec?.type ?? 'ClusterIP');

      const outward = types.filter((type) => type !== 'ClusterIP');

      expect(outward).toEqual([]);
    });

    it('is one Ingress, leading to the gateway Service alone', () => {
      const ingresses = ofKind<IIngress>(objects(), 'Ingress');

      const backends = ingresses.flatMap(ingressBackends);

      expect(ingresses).toHaveLength(1);
      expect(backends).toEqual([{ service: 'gateway', port: 'http' }]);
    });

    it("names a port of the gateway's Service", () => {
      const [ingress] = ofKind<IIngress>(objects(), 'Ingress');
      const gateway = named(ofKind<IService>(objects(), 'Service'), 'gateway');

      const [backend] = ingress ? ingressBackends(ingress) : [];
      const port = gateway.spec?.ports?.find(
        (candidate) => candidate.name === backend?.port || candidate.port === backend?.port,
      );

      expect(port).toBeDefined();
    });

    it('is served by the nginx ingress class', () => {
      const [ingress] = ofKind<IIngress>(objects(), 'Ingress');

      const ingressClass = ingress?.spec?.ingressClassName;

      expect(ingressClass).toBe('nginx');
    });
  });
});
