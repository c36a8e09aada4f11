import { Role } from '@cheesecake/contracts';
import { z } from 'zod';

/** The signed-in user as the page knows them: the token to send and what it says of them. */
export interface Session {
  accessToken: string;
  username: string;
  role: Role;
  /** When the token expires, in milliseconds since the epoch. */
  expiresAt: number;
}

// Kept for the tab only: sessionStorage is not sent with any request, so no other site can
// make the browser use it (no CSRF), and closing the tab forgets it.
const STORAGE_KEY = 'cheesecake.session';

const StoredSession = z.object({
  accessToken: z.string().min(1),
  username: z.string().min(1),
  role: Role,
  expiresAt: z.number(),
});

// What the page reads of the token to choose what to show; the gateway verifies it.
const TokenClaims = z.object({ role: Role, name: z.string().optional(), exp: z.number() });

/** The session a token response starts, reading the role and expiry from the token's claims. */
export function sessionOf(accessToken: string, username: string): Session {
  const [, payload = ''] = accessToken.split('.');
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  const claims = TokenClaims.parse(JSON.parse(json));
  return { accessToken, username, role: claims.role, expiresAt: claims.exp * 1_000 };
}

/**
 * The session kept for this tab; null when there is none, or when it has expired (`expired`,
 * so the page can say why the user must sign in again). An expired one is forgotten.
 */
export function loadSession(
  storage: Storage,
  now = Date.now(),
): { session: Session | null; expired: boolean } {
  const stored = StoredSession.safeParse(JSON.parse(storage.getItem(STORAGE_KEY) ?? 'null'));
  if (stored.success && stored.data.expiresAt > now)
    return { session: stored.data, expired: false };
  storage.removeItem(STORAGE_KEY);
  return { session: null, expired: stored.success };
}

/** Keeps `session` for this tab, or forgets it when null. */
export function saveSession(storage: Storage, session: Session | null): void {
  if (session) storage.setItem(STORAGE_KEY, JSON.stringify(session));
  else storage.removeItem(STORAGE_KEY);
}

/** Where each role's pages start: the storefront, the kitchen display, the ops console. */
export const HOME_OF: Record<Role, string> = { customer: '/', kitchen: '/kitchen', admin: '/ops' };
