import {
  ActionGroup,
  Alert,
  Bullseye,
  Button,
  Card,
  CardBody,
  CardTitle,
  List,
  ListItem,
  Title,
} from '@patternfly/react-core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { useMe } from '../api/session';
import { Loading } from '../app';
import { ErrorAlert } from '../components/error-alert';
import { SignIn } from './signin';

const SCOPES: Record<string, string> = {
  'repo:read': 'View all visible repositories',
  'repo:write': 'Read and write to any accessible repositories',
  'repo:admin': 'Administer repositories',
  'repo:create': 'Create repositories in any accessible namespace',
  'user:read': 'Read your user information',
  'user:admin': 'Administer your user account',
  'org:admin': 'Administer your organizations',
  'super:user': 'Act as a superuser of this registry',
};

async function csrfToken(): Promise<string> {
  const response = await fetch('/csrf_token', { credentials: 'same-origin' });
  if (!response.ok) throw new Error('sign in first');
  return ((await response.json()) as { csrf_token: string }).csrf_token;
}

/**
 * The OAuth consent page (`GET /oauth/authorize` sends browsers here): the
 * signed-in user sees the application and what it asks for, and approves.
 * No token is granted without this approval.
 */
export default function Authorize() {
  const me = useMe();
  const [search] = useSearchParams();
  const clientId = search.get('client_id') ?? '';
  const scopes = (search.get('scope') ?? '').split(/[\s,]+/).filter(Boolean);
  const [error, setError] = useState<string | null>(null);
  const [denied, setDenied] = useState(false);
  const [busy, setBusy] = useState(false);
  const app = useQuery({
    queryKey: ['application', clientId],
    queryFn: () =>
      unwrap(api.GET('/app/{client_id}', { params: { path: { client_id: clientId } } })),
    enabled: clientId !== '',
  });
  if (me.isPending) return <Loading />;
  if (!me.data) return <SignIn subtitle="Sign in to review an application's request" />;

  const approve = async () => {
    setBusy(true);
    setError(null);
    try {
      const response = await fetch('/oauth/authorize', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': await csrfToken() },
        body: JSON.stringify(Object.fromEntries(search.entries())),
      });
      const body = (await response.json()) as { location?: string; error_description?: string };
      if (!response.ok || !body.location)
        throw new Error(body.error_description ?? 'the grant failed');
      window.location.assign(body.location);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };

  return (
    <Bullseye>
      <Card className="berth-consent">
        <CardTitle>
          <Title headingLevel="h1">Authorize application</Title>
        </CardTitle>
        <CardBody>
          {!clientId ? <ErrorAlert error={new Error('The request names no application.')} /> : null}
          <ErrorAlert error={app.error} />
          {app.data ? (
            <>
              <p>
                <strong>{app.data.name}</strong>
                {` of the organization ${app.data.organization.name} asks to act as `}
                <strong>{me.data.username}</strong>.
              </p>
              {app.data.description ? <p>{app.data.description}</p> : null}
              {app.data.uri ? <p>{`Homepage: ${app.data.uri}`}</p> : null}
              <Title headingLevel="h2" size="md" className="berth-gap">
                It will be able to:
              </Title>
              <List>
                {scopes.map((s) => (
                  <ListItem key={s}>
                    {SCOPES[s] ?? `${s} (unknown: the grant will be refused)`}
                  </ListItem>
                ))}
              </List>
              {error ? <Alert isInline variant="danger" title={error} /> : null}
              {denied ? (
                <Alert
                  isInline
                  variant="info"
                  title="You denied the request; no token was granted."
                />
              ) : (
                <ActionGroup className="berth-gap">
                  <Button onClick={approve} isLoading={busy} isDisabled={busy}>
                    Authorize {app.data.name}
                  </Button>
                  <Button variant="link" onClick={() => setDenied(true)}>
                    Deny
                  </Button>
                </ActionGroup>
              )}
            </>
          ) : null}
        </CardBody>
      </Card>
    </Bullseye>
  );
}
