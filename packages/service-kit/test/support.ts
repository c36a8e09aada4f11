import { requireInternalCredential } from '../src/index.js';
import { silentLogger, TEST_INTERNAL_SECRET } from '../src/testing.js';
import type { CallPolicy } from '../src/typed-client.js';

/** Each call sent once, with no time limit: what a typed client does without the policies. */
export const sendOnce: CallPolicy = (_call, send) => send(new AbortController().signal);

/**
 * What the kit's test apps are built with: no log, a 1 kb body limit, and internal
 * credentials for `service` accepted from `callers`.
 */
export function testAppBasics(service: string, callers: string[] = ['gateway']) {
  return {
    log: silentLogger(),
    bodyLimit: '1kb',
    authenticate: requireInternalCredential({ secret: TEST_INTERNAL_SECRET, service, callers }),
  };
}

/** The samples of a Prometheus text exposition, to read values by name and labels. */
export interface Scrape {
  /** The sum of the samples named `name` whose labels include `labels`. */
  count(name: string, labels?: Record<string, string>): number;
}

const SAMPLE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

/** Parses a `/metrics` answer. */
export function scrape(text: string): Scrape {
  const samples = text
    .split('\n')
    .map((line) => SAMPLE.exec(line))
    .filter((match) => match !== null)
    .map(([, name, labels = '', value]) => ({
      name,
      labels: Object.fromEntries([...labels.matchAll(LABEL)].map(([, key, v]) => [key, v])),
      value: Number(value),
    }));
  return {
    count: (name, labels = {}) =>
      samples
        .filter(
          (sample) =>
            sample.name === name &&
            Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
        )
        .reduce((sum, sample) => sum + sample.value, 0),
  };
}
