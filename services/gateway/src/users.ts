import { createHash, timingSafeEqual } from 'node:crypto';
import type { Role } from '@cheesecake/contracts';

/** Someone who may sign in to the public API. */
export interface User {
  id: string;
  username: string;
  name: string;
  role: Role;
}

const DEMO_USERS: readonly User[] = [
  { id: 'usr_alice', username: 'alice', name: 'Alice', role: 'customer' },
  { id: 'usr_bob', username: 'bob', name: 'Bob', role: 'customer' },
  { id: 'usr_kai', username: 'kai', name: 'Kai', role: 'kitchen' },
  { id: 'usr_ada', username: 'ada', name: 'Ada', role: 'admin' },
];

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** The demo users: two customers, a cook and an admin, who all share one configured password. */
export class DemoUsers {
  readonly #byUsername = new Map(DEMO_USERS.map((user) => [user.username, user]));
  readonly #passwordHash: Buffer;

  constructor(password: string) {
    this.#passwordHash = sha256(password);
  }

  /** The user with this username and password, or undefined when either is wrong. */
  authenticate(username: string, password: string): User | undefined {
    const user = this.#byUsername.get(username);
    // Hashing gives both sides the same length, and comparing even for an unknown username
    // keeps the answer time from telling which usernames exist.
    const passwordMatches = timingSafeEqual(sha256(password), this.#passwordHash);
    return user && passwordMatches ? user : undefined;
  }
}
