import { createHash } from 'node:crypto';
import { problemTypes } from '@cheesecake/contracts';
import { ProblemError } from './problem-error.js';

/**
 * The key came before with another request (method, path or body): 422. `detail` words it
 * for a service that keeps its keys itself, such as "another charge".
 */
export class IdempotencyKeyReusedError extends ProblemError {
  constructor(
    detail = 'This Idempotency-Key was sent with another request; use a new key for a new request',
  ) {
    super(problemTypes.idempotencyKeyReused, detail);
  }
}

/**
 * A stable hash of a JSON value, to tell the requests sent under one idempotency key apart:
 * SHA-256 (hex) of its JSON with object keys sorted at every depth, as their order means nothing.
 */
export function fingerprintOf(value: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(value ?? null, sortKeys))
    .digest('hex');
}

function sortKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
