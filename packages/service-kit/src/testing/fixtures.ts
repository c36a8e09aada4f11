import { afterAll, beforeAll } from 'vitest';

/**
 * A fixture for the tests of one file (or describe block): made by `start` before they run
 * and ended by `stop` after. The object returned is filled in once `start` resolves.
 */
export function useFixture<T extends object>(
  start: () => Promise<T>,
  stop: (fixture: T) => Promise<void>,
): T {
  const fixture = {} as T;
  beforeAll(async () => {
    Object.assign(fixture, await start());
  });
  afterAll(() => stop(fixture));
  return fixture;
}
