import type { Role } from '@cheesecake/contracts';
import { type ReactNode, useEffect } from 'react';
import { Link, Redirect, Route, Switch } from 'wouter';
import { HOME_OF } from './api/session.js';
import { KitchenPage } from './pages/kitchen-page.js';
import { MyOrdersPage } from './pages/my-orders.js';
import { OpsPage } from './pages/ops-page.js';
import { OrderPage } from './pages/order-page.js';
import { SignInPage } from './pages/sign-in.js';
import { StorefrontPage } from './pages/storefront.js';
import { SESSION_EXPIRED, useSession } from './session-context.js';

/** The page: a header with the places the user's role may go, and the place they are at. */
export function App() {
  const { session, signOut } = useSession();

  // A token that expires while the page is open sends the user back to sign in.
  useEffect(() => {
    if (!session) return;
    const remaining = Math.max(0, session.expiresAt - Date.now());
    // setTimeout fires at once beyond 2^31 - 1 ms (about 24 days); so long a token ends by the 401.
    if (remaining > 2 ** 31 - 1) return;
    const timer = setTimeout(() => signOut(SESSION_EXPIRED), remaining);
    return () => clearTimeout(timer);
  }, [session, signOut]);

  return (
    <>
      <header className="site">
        <Link href="/" className="brand">
          Cheesecake
        </Link>
        <nav aria-label="Main">
          {session?.role === 'customer' && (
            <>
              <Link href="/">Menu</Link>
              <Link href="/orders">My orders</Link>
            </>
          )}
          {(session?.role === 'kitchen' || session?.role === 'admin') && (
            <Link href="/kitchen">Kitchen</Link>
          )}
          {session?.role === 'admin' && <Link href="/ops">Ops</Link>}
          <a href="/docs">API</a>
        </nav>
        {session && (
          <span className="user">
            {session.username} ({session.role})
            <button type="button" className="secondary" onClick={() => signOut()}>
              Sign out
            </button>
          </span>
        )}
      </header>
      <main>
        <Switch>
          <Route path="/sign-in" component={SignInPage} />
          <Route path="/">
            <Only roles={['customer']} home>
              <StorefrontPage />
            </Only>
          </Route>
          <Route path="/orders">
            <Only roles={['customer']}>
              <MyOrdersPage />
            </Only>
          </Route>
          <Route path="/orders/:orderId">
            {(params) => (
              <Only roles={['customer', 'kitchen', 'admin']}>
                <OrderPage orderId={params.orderId} />
              </Only>
            )}
          </Route>
          <Route path="/kitchen">
            <Only roles={['kitchen', 'admin']}>
              <KitchenPage />
            </Only>
          </Route>
          <Route path="/ops">
            <Only roles={['admin']}>
              <OpsPage />
            </Only>
          </Route>
          <Route>
            <section className="panel">
              <h1>Not found</h1>
              <p>
                There is no page here. <Link href="/">Back to the menu</Link>
              </p>
            </section>
          </Route>
        </Switch>
      </main>
    </>
  );
}

// The gateway checks every role again; this only keeps users off pages that would refuse them.
function Only({ roles, home, children }: { roles: Role[]; home?: boolean; children: ReactNode }) {
  const { session } = useSession();
  if (!session) return <Redirect to="/sign-in" />;
  if (roles.includes(session.role)) return <>{children}</>;
  if (home) return <Redirect to={HOME_OF[session.role]} />;
  return (
    <section className="panel">
      <h1>Not for your role</h1>
      <p role="alert" className="alert">
        Signed in as {session.username} ({session.role}), you may not open this page.
      </p>
    </section>
  );
}
