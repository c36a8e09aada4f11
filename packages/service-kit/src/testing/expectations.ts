import { Problem } from '@cheesecake/contracts';
import { expect } from 'vitest';

/** An HTTP answer as a test client such as supertest gives it. */
export interface TestResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: unknown;
}

/** Asserts a problem+json answer of this status and type code, and returns the problem. */
export function expectProblem(res: TestResponse, status: number, code: string): Problem {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = Problem.parse(res.body);
  expect(problem.type).toBe(`urn:cheesecake:problem:${code}`);
  return problem;
}

// Taken when this module loads, before a test fakes the clock, so `until` polls on real time.
const realSetTimeout = globalThis.setTimeout;

/** Resolves once `condition` holds, checked every few milliseconds; only the test's timeout bounds it. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => realSetTimeout(resolve, 5));
}

/** An event a test waits for: `happened` resolves once `happen` is called. */
export interface Signal {
  happen(): void;
  happened: Promise<void>;
}

/** A new event that has not happened yet. */
export function signal(): Signal {
  let happen = () => {};
  const happened = new Promise<void>((resolve) => {
    happen = resolve;
  });
  return { happen, happened };
}
