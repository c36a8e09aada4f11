import { createContext, type ReactNode, useContext, useMemo, useState } from 'react';
import { type ApiClient, createApiClient } from './api/client.js';
import { loadSession, type Session, saveSession } from './api/session.js';

/** What every page may use: the signed-in user, the API client, and signing in and out. */
export interface SessionContextValue {
  session: Session | null;
  api: ApiClient;
  /** Why the user was signed out, when it was not their choice (an expired token). */
  signedOutBecause: string | null;
  signIn: (session: Session) => void;
  signOut: (because?: string) => void;
}

const SessionContext = createContext<SessionContextValue | null>(null);

/** What the page says when a token has expired. */
export const SESSION_EXPIRED = 'Your session has expired. Please sign in again.';

/** Holds the session for the pages below it, in memory and in this tab's sessionStorage. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [stored] = useState(() => loadSession(window.sessionStorage));
  const [session, setSession] = useState(stored.session);
  const [signedOutBecause, setSignedOutBecause] = useState<string | null>(
    stored.expired ? SESSION_EXPIRED : null,
  );

  const value = useMemo<SessionContextValue>(() => {
    const signOut = (because?: string) => {
      saveSession(window.sessionStorage, null);
      setSession(null);
      setSignedOutBecause(because ?? null);
    };
    const api = createApiClient({
      accessToken: () => session?.accessToken ?? null,
      onUnauthenticated: (problem) =>
        signOut(`Your session has ended (${problem.problem.title}). Please sign in again.`),
    });
    const signIn = (next: Session) => {
      saveSession(window.sessionStorage, next);
      setSession(next);
      setSignedOutBecause(null);
    };
    return { session, api, signedOutBecause, signIn, signOut };
  }, [session, signedOutBecause]);

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The session context; only inside {@link SessionProvider}. */
export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession is used outside SessionProvider');
  return value;
}
