import { LoginForm, LoginPage } from '@patternfly/react-core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, forgetSession } from '../api/client';

/** Quay's sign-in: `POST /api/v1/signin`, which sets the session cookie. */
export function SignIn({ subtitle }: { subtitle?: string }) {
  const queries = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: React.MouseEvent<HTMLButtonElement>) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const { response, error: failure } = await api.POST('/signin', {
      body: { username, password },
    });
    setBusy(false);
    if (response.ok) {
      forgetSession();
      setPassword('');
      // What was asked before signing in was asked as nobody: ask again.
      await queries.resetQueries();
      return;
    }
    const body = failure as { message?: string; error_message?: string } | undefined;
    setError(
      response.status === 429
        ? `Too many failed sign-ins from here; try again in ${response.headers.get('retry-after') ?? 'a few'} seconds.`
        : (body?.message ?? body?.error_message ?? 'Could not sign in.'),
    );
  };

  return (
    <LoginPage
      loginTitle="Sign in to Berth"
      loginSubtitle={subtitle ?? 'Your container registry'}
      textContent="Use your registry username and password. Robots and tokens sign in with registry clients, not here."
    >
      <LoginForm
        showHelperText={error !== null}
        helperText={error ?? ''}
        usernameLabel="Username"
        usernameValue={username}
        onChangeUsername={(_e, v) => setUsername(v)}
        isValidUsername={error === null}
        passwordLabel="Password"
        passwordValue={password}
        onChangePassword={(_e, v) => setPassword(v)}
        isValidPassword={error === null}
        loginButtonLabel={busy ? 'Signing in…' : 'Sign in'}
        isLoginButtonDisabled={busy || !username || !password}
        onLoginButtonClick={submit}
      />
    </LoginPage>
  );
}
