import { type FormEvent, useState } from 'react';
import { useLocation } from 'wouter';
import { HOME_OF, sessionOf } from '../api/session.js';
import { Field } from '../components/field.js';
import { ProblemAlert } from '../components/problem-alert.js';
import { useAction } from '../components/use-action.js';
import { useSession } from '../session-context.js';

/** Signing in with a username and password, as any client of the API does. */
export function SignInPage() {
  const { api, signIn, signedOutBecause } = useSession();
  const [, navigate] = useLocation();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const signingIn = useAction();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const token = await signingIn.run(() =>
      api.call('issueToken', { body: { username, password } }),
    );
    if (!token) return;
    const session = sessionOf(token.access_token, username);
    signIn(session);
    navigate(HOME_OF[session.role]);
  }

  return (
    <section className="panel narrow">
      <h1>Sign in</h1>
      {signedOutBecause && !signingIn.error && (
        <p role="alert" className="alert">
          {signedOutBecause}
        </p>
      )}
      <ProblemAlert error={signingIn.error} />
      <form onSubmit={submit} className="stack">
        <Field
          label="Username"
          name="username"
          autoComplete="username"
          value={username}
          onChange={(event) => setUsername(event.target.value)}
          required
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          required
        />
        <button type="submit" disabled={signingIn.busy}>
          Sign in
        </button>
      </form>
      <p className="hint">
        Demo users: alice and bob (customers), kai (kitchen), ada (admin); the password is the
        gateway's <code>DEMO_PASSWORD</code>, <code>cheesecake</code> unless set.
      </p>
    </section>
  );
}
