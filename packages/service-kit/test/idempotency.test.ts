import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprintOf, IdempotencyKeyReusedError } from '../src/idempotency.js';

describe('fingerprintOf', () => {
  it('is the SHA-256 of the JSON, so fingerprints already stored still match', () => {
    const value = ['ord_1', 1250, 'USD', 'tok_visa'];

    expect(fingerprintOf(value)).toBe(
      createHash('sha256').update(JSON.stringify(value)).digest('hex'),
    );
  });

  it('ignores the order of object keys at every depth, and nothing else', () => {
    const fingerprint = fingerprintOf({ a: 1, b: { c: [1, { d: 2, e: 3 }], f: null } });

    expect(fingerprintOf({ b: { f: null, c: [1, { e: 3, d: 2 }] }, a: 1 })).toBe(fingerprint);
    expect(fingerprintOf({ a: 1, b: { c: [{ d: 2, e: 3 }, 1], f: null } })).not.toBe(fingerprint);
    expect(fingerprintOf({ a: 1, b: { c: [1, { d: 2, e: 4 }], f: null } })).not.toBe(fingerprint);
  });

  it('takes no value as null', () => {
    expect(fingerprintOf(undefined)).toBe(fingerprintOf(null));
  });
});

describe('IdempotencyKeyReusedError', () => {
  it('is a 422 that says to use a new key, unless a service words it itself', () => {
    const error = new IdempotencyKeyReusedError();
    const worded = new IdempotencyKeyReusedError('Key k1 was already used for a different charge');

    expect(error.toProblem('req_1')).toMatchObject({
      status: 422,
      type: 'urn:cheesecake:problem:idempotency-key-reused',
      detail: expect.stringContaining('use a new key'),
    });
    expect(worded.toProblem('req_1')).toMatchObject({
      status: 422,
      type: 'urn:cheesecake:problem:idempotency-key-reused',
      detail: 'Key k1 was already used for a different charge',
    });
  });
});
