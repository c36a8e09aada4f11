import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as core from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { kubectlAvailable, OVERLAYS, render, renderOverlay } from './support/render.js';

interface ModelClass {
  apiVersion: string;
  kind: string;
  new (data: unknown): { validate(): void };
}

const isModel = (value: unknown): value is ModelClass =>
  typeof value === 'function' && 'apiVersion' in value && 'kind' in value;

/** The API groups the manifests use; an object of any other kind has no schema here and fails. */
const models = new Map(
  [core, apps, autoscaling, networking, policy]
    .flatMap((group) => Object.values(group).filter(isModel))
    .map((model) => [`${model.apiVersion} ${model.kind}`, model]),
);

type Rendered = ReturnType<typeof render>[number];

// kustomize folds a long base64 value over lines, which the API server's decoder (Go's
// encoding/base64) skips but the schema's `byte` format does not.
function unfolded(object: Rendered): Rendered {
  if (object.kind !== 'Secret' || !object.data) return object;
  const data = Object.entries(object.data as Record<string, string>).map(([key, value]) => [
    key,
    value.replace(/\s/g, ''),
  ]);
  return { ...object, data: Object.fromEntries(data) };
}

function schemaErrors(objects: Rendered[]): string[] {
  return objects.flatMap((object) => {
    const shown = `${object.kind} ${object.metadata.name}`;
    const Model = models.get(`${object.apiVersion} ${object.kind}`);
    if (!Model) return [`${shown}: no schema for ${object.apiVersion} ${object.kind}`];
    try {
      new Model(unfolded(object)).validate();
      return [];
    } catch (error) {
      return [`${shown}: ${(error as Error).message}`];
    }
  });
}

describe.runIf(kubectlAvailable())('the manifests', () => {
  it.each(OVERLAYS)('render with kubectl kustomize for overlays/%s', (overlay) => {
    const objects = renderOverlay(overlay);

    expect(objects.length).toBeGreaterThan(0);
  });

  it.each(OVERLAYS)('validate against the Kubernetes API schemas in overlays/%s', (overlay) => {
    const objects = renderOverlay(overlay);

    const errors = schemaErrors(objects);

    expect(errors).toEqual([]);
  });

  it('validate against the schemas in the base as well', () => {
    const objects = render('base');

    const errors = schemaErrors(objects);

    expect(errors).toEqual([]);
  });

  it.each(OVERLAYS)('put every object of overlays/%s in the cheesecake namespace', (overlay) => {
    const objects = renderOverlay(overlay).filter((object) => object.kind !== 'Namespace');

    const elsewhere = objects.filter((object) => object.metadata.namespace !== 'cheesecake');

    expect(elsewhere.map((object) => `${object.kind} ${object.metadata.name}`)).toEqual([]);
  });
});
