import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DemoUsers, demoAccounts, hashPassword, verifyPassword } from '../src/auth/users.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

describe('hashPassword', () => {
  it('keeps a salted scrypt hash, not the SHA-256 of the password', async () => {
    const passwordHash = await hashPassword('cheesecake');

    expect(passwordHash).toMatch(/^\$scrypt\$ln=\d+,r=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(passwordHash).not.toContain('cheesecake');
    for (const encoding of ['hex', 'base64'] as const) {
      expect(passwordHash).not.toContain(
        sha256('cheesecake').toString(encoding).replace(/=+$/, ''),
      );
    }
  });

  it("costs at least one of OWASP's scrypt minimums: 32 MiB and p = 3, or more memory", async () => {
    const passwordHash = await hashPassword('cheesecake');

    const [, log2N, r, p] = (/^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$/.exec(passwordHash) ?? []).map(
      Number,
    );
    const memoryBytes = 128 * 2 ** Number(log2N) * Number(r);
    expect(memoryBytes).toBeGreaterThanOrEqual(32 * 1024 * 1024);
    expect(memoryBytes * Number(p)).toBeGreaterThanOrEqual(3 * 32 * 1024 * 1024);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const passwordHash = await hashPassword('cheesecake');

    const right = await verifyPassword('cheesecake', passwordHash);
    const wrong = await verifyPassword('cheesecak', passwordHash);
    const empty = await verifyPassword('', passwordHash);

    expect(right).toBe(true);
    expect(wrong).toBe(false);
    expect(empty).toBe(false);
  });
});

describe('demoAccounts', () => {
  it('gives users who share a password different hashes, each verifying that password', async () => {
    const accounts = await demoAccounts('cheesecake');

    const hashes = accounts.map((account) => account.passwordHash);
    expect(accounts.map((account) => account.user.username)).toEqual([
      'alice',
      'bob',
      'kai',
      'ada',
    ]);
    expect(new Set(hashes).size).toBe(hashes.length);
    for (const passwordHash of hashes) {
      expect(await verifyPassword('cheesecake', passwordHash)).toBe(true);
    }
  });
});

describe('DemoUsers', () => {
  it('signs a user in with the right password only, and nobody with an unknown username', async () => {
    const users = await DemoUsers.create('s3cret-demo');

    const right = await users.authenticate('bob', 's3cret-demo');
    const wrong = await users.authenticate('bob', 'cheesecake');
    const unknown = await users.authenticate('mallory', 's3cret-demo');

    expect(right).toEqual({ id: 'usr_bob', username: 'bob', name: 'Bob', role: 'customer' });
    expect(wrong).toBeUndefined();
    expect(unknown).toBeUndefined();
  });
});
