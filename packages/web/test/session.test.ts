import { describe, expect, it } from 'vitest';
import { loadSession, saveSession, sessionOf } from '../src/api/session.js';

class MemoryStorage implements Storage {
  readonly #items = new Map<string, string>();
  get length() {
    return this.#items.size;
  }
  clear() {
    this.#items.clear();
  }
  getItem(key: string) {
    return this.#items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.#items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.#items.delete(key);
  }
  setItem(key: string, value: string) {
    this.#items.set(key, value);
  }
}

const tokenWith = (claims: object) => {
  const [header, payload] = ['{"alg":"HS256"}', JSON.stringify(claims)].map((part) =>
    Buffer.from(part).toString('base64url'),
  );
  return `${header}.${payload}.signature`;
};

describe('sessionOf', () => {
  it("reads the user's role and the token's expiry from its claims", () => {
    const token = tokenWith({ sub: 'usr_kai', role: 'kitchen', exp: 2_000_000_000 });

    const session = sessionOf(token, 'kai');

    expect(session).toEqual({
      accessToken: token,
      username: 'kai',
      role: 'kitchen',
      expiresAt: 2_000_000_000_000,
    });
  });
});

describe('loadSession', () => {
  it('returns the session kept for the tab until it expires, then forgets it and says so', () => {
    const storage = new MemoryStorage();
    const session = sessionOf(tokenWith({ role: 'customer', exp: 1_000 }), 'alice');
    saveSession(storage, session);

    const before = loadSession(storage, 999_999);
    const after = loadSession(storage, 1_000_000);

    expect(before).toEqual({ session, expired: false });
    expect(after).toEqual({ session: null, expired: true });
    expect(storage.length).toBe(0);
  });

  it('forgets a session that is not one (edited by hand, or from another version)', () => {
    const storage = new MemoryStorage();
    storage.setItem('cheesecake.session', JSON.stringify({ accessToken: 'x', role: 'chef' }));

    expect(loadSession(storage)).toEqual({ session: null, expired: false });
    expect(storage.length).toBe(0);
  });
});
