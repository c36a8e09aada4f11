import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { Role } from '@cheesecake/contracts';

/** Someone who may sign in to the public API. */
export interface User {
  id: string;
  username: string;
  name: string;
  role: Role;
}

/** A user and what is kept of their password: a salted scrypt hash, never the password. */
export interface Account {
  user: User;
  passwordHash: string;
}

/** Checks a username and password. */
export interface Users {
  /** The user with this username and password, or undefined when either is wrong. */
  authenticate(username: string, password: string): Promise<User | undefined>;
}

const DEMO_USERS: readonly User[] = [
  { id: 'usr_alice', username: 'alice', name: 'Alice', role: 'customer' },
  { id: 'usr_bob', username: 'bob', name: 'Bob', role: 'customer' },
  { id: 'usr_kai', username: 'kai', name: 'Kai', role: 'kitchen' },
  { id: 'usr_ada', username: 'ada', name: 'Ada', role: 'admin' },
];

// scrypt costs memory as well as time, which is what makes guessing on GPUs expensive.
// N = 2^15, r = 8, p = 3 is one of OWASP's equivalent minimums (Password Storage Cheat
// Sheet): 32 MiB per hash, a few tenths of a second on one core; slow for someone trying a
// billion passwords from a stolen table, unnoticeable for one login. Where memory per
// concurrent login is affordable, N = 2^17 with p = 1 is the same cost with more memory.
// Each hash records its parameters, so hashes made before still verify.
const LOG2_N = 15;
const BLOCK_SIZE = 8;
const PARALLELISM = 3;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

const PHC = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

interface Cost {
  N: number;
  r: number;
  p: number;
}

function derive(password: string, salt: Buffer, length: number, cost: Cost) {
  // Node refuses to use more than 32 MiB unless told; scrypt needs 128 * N * r bytes and a little.
  const maxmem = 256 * cost.N * cost.r;
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, { ...cost, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

const unpadded = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

/**
 * A salted scrypt hash of `password` in the PHC string format
 * (`$scrypt$ln=15,r=8,p=1$<salt>$<hash>`), with a new random salt each time.
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, {
    N: 2 ** LOG2_N,
    r: BLOCK_SIZE,
    p: PARALLELISM,
  });
  return `$scrypt$ln=${LOG2_N},r=${BLOCK_SIZE},p=${PARALLELISM}$${unpadded(salt)}$${unpadded(key)}`;
}

/** Whether `password` is the one `passwordHash` (from {@link hashPassword}) was made from. */
export async function verifyPassword(password: string, passwordHash: string): Promise<boolean> {
  const [, log2N, r, p, salt, expected] = PHC.exec(passwordHash) ?? [];
  if (!log2N || !r || !p || !salt || !expected) throw new Error('Not a scrypt password hash');
  const expectedKey = Buffer.from(expected, 'base64');
  const key = await derive(password, Buffer.from(salt, 'base64'), expectedKey.length, {
    N: 2 ** Number(log2N),
    r: Number(r),
    p: Number(p),
  });
  // A comparison that stops at the first differing byte would tell, by its time, how much of
  // a guess was right.
  return timingSafeEqual(key, expectedKey);
}

/** The demo users, each given `password` under a salt of their own. */
export async function demoAccounts(password: string): Promise<Account[]> {
  return Promise.all(
    DEMO_USERS.map(async (user) => ({ user, passwordHash: await hashPassword(password) })),
  );
}

/** The users who may sign in, each checked against the stored hash of their password. */
export class DemoUsers implements Users {
  readonly #byUsername: Map<string, Account>;
  readonly #unknownUserHash: string;

  /** `unknownUserHash` is any hash from {@link hashPassword}, checked when no account matches. */
  constructor(accounts: readonly Account[], unknownUserHash: string) {
    this.#byUsername = new Map(accounts.map((account) => [account.user.username, account]));
    this.#unknownUserHash = unknownUserHash;
  }

  /**
   * The demo users: two customers, a cook and an admin, who all share one configured password.
   * Hashing takes a moment, so this is done once, at startup.
   */
  static async create(password: string): Promise<DemoUsers> {
    const [accounts, unknownUserHash] = await Promise.all([
      demoAccounts(password),
      hashPassword(randomBytes(SALT_BYTES).toString('base64')),
    ]);
    return new DemoUsers(accounts, unknownUserHash);
  }

  async authenticate(username: string, password: string): Promise<User | undefined> {
    const account = this.#byUsername.get(username);
    // An unknown username is checked against a hash too, so the answer takes as long as for a
    // known one and its time does not tell which usernames exist.
    const matches = await verifyPassword(password, account?.passwordHash ?? this.#unknownUserHash);
    return account && matches ? account.user : undefined;
  }
}
