import { TextField, Submit, submitting } from '../components/form-fields';
import {
  Button,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Form,
  PageSection,
  Tab,
  Tabs,
  TabTitleText,
} from '@patternfly/react-core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { bytes, date } from '../api/format';
import { ConfirmButton } from '../components/confirm-button';
import { DataTable } from '../components/data-table';
import { ErrorAlert } from '../components/error-alert';
import { PageHeader } from '../components/page-header';
import { ShownOnce } from '../components/shown-once';

/** Quay's superuser panel: users, organizations, the registry's size, namespace quotas. */
export default function Superuser() {
  const [search, setSearch] = useSearchParams();
  const tab = search.get('tab') ?? 'users';
  return (
    <>
      <PageHeader title="Superuser" />
      <PageSection>
        <Tabs
          activeKey={tab}
          onSelect={(_e, key) => setSearch({ tab: String(key) })}
          aria-label="Superuser"
          mountOnEnter
          unmountOnExit
        >
          <Tab eventKey="users" title={<TabTitleText>Users</TabTitleText>}>
            <Users />
          </Tab>
          <Tab eventKey="organizations" title={<TabTitleText>Organizations</TabTitleText>}>
            <AllOrganizations />
          </Tab>
          <Tab eventKey="size" title={<TabTitleText>Registry size</TabTitleText>}>
            <RegistrySize />
          </Tab>
          <Tab eventKey="quotas" title={<TabTitleText>User quotas</TabTitleText>}>
            <UserQuota />
          </Tab>
        </Tabs>
      </PageSection>
    </>
  );
}

function Users() {
  const queries = useQueryClient();
  const users = useQuery({
    queryKey: ['superuser-users'],
    queryFn: () => unwrap(api.GET('/superuser/users')),
  });
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [shown, setShown] = useState<{ username: string; password: string } | null>(null);
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/superuser/users', { body: { username: name, ...(email ? { email } : {}) } }),
      ),
    onSuccess: (created) => {
      setShown(created);
      setName('');
      setEmail('');
      return queries.invalidateQueries({ queryKey: ['superuser-users'] });
    },
  });
  return (
    <>
      <ErrorAlert error={users.error} />
      <DataTable
        label="Users"
        empty="No users"
        rows={users.data?.users ?? []}
        rowKey={(u) => u.username}
        columns={[
          { title: 'Username', cell: (u) => u.username },
          { title: 'E-mail', cell: (u) => u.email ?? '—' },
          { title: 'Superuser', cell: (u) => (u.super_user ? 'yes' : '') },
          {
            title: 'Actions',
            screenReaderOnly: true,
            cell: (u) =>
              u.super_user ? null : (
                <ConfirmButton
                  label="Delete"
                  ariaLabel={`Delete user ${u.username}`}
                  title={`Delete ${u.username}?`}
                  body="The user, their repositories and their robots go. This cannot be undone."
                  onConfirm={async () => {
                    await unwrap(
                      api.DELETE('/superuser/users/{username}', {
                        params: { path: { username: u.username } },
                      }),
                    );
                    await queries.invalidateQueries({ queryKey: ['superuser-users'] });
                  }}
                />
              ),
          },
        ]}
      />
      <Form className="berth-gap" onSubmit={submitting(() => create.mutate())}>
        <TextField id="su-user" label="New user's name" required value={name} onChange={setName} />
        <TextField id="su-email" label="E-mail" type="email" value={email} onChange={setEmail} />
        <Submit error={create.error} busy={create.isPending} disabled={!name}>
          Create user
        </Submit>
      </Form>
      <ShownOnce
        title={`Password of ${shown?.username ?? ''}`}
        label="Hand this generated password to the user"
        secret={shown?.password ?? null}
        onClose={() => setShown(null)}
      />
    </>
  );
}

function AllOrganizations() {
  const orgs = useQuery({
    queryKey: ['superuser-orgs'],
    queryFn: () => unwrap(api.GET('/superuser/organizations')),
  });
  return (
    <>
      <ErrorAlert error={orgs.error} />
      <DataTable
        label="Organizations"
        empty="No organizations"
        rows={orgs.data?.organizations ?? []}
        rowKey={(o) => o.name}
        columns={[
          { title: 'Name', cell: (o) => <Link to={`/organization/${o.name}`}>{o.name}</Link> },
          { title: 'E-mail', cell: (o) => o.email ?? '—' },
        ]}
      />
    </>
  );
}

function RegistrySize() {
  const queries = useQueryClient();
  const size = useQuery({
    queryKey: ['registry-size'],
    queryFn: () => unwrap(api.GET('/superuser/registrysize')),
    refetchInterval: (q) => (q.state.data?.queued || q.state.data?.running ? 2000 : false),
  });
  const recount = useMutation({
    mutationFn: () => unwrap(api.POST('/superuser/registrysize')),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['registry-size'] }),
  });
  return (
    <>
      <ErrorAlert error={size.error ?? recount.error} />
      <DescriptionList isHorizontal>
        <DescriptionListGroup>
          <DescriptionListTerm>Registry size (each blob once)</DescriptionListTerm>
          <DescriptionListDescription>{bytes(size.data?.size_bytes)}</DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Counted</DescriptionListTerm>
          <DescriptionListDescription>
            {size.data?.running
              ? 'counting now'
              : size.data?.queued
                ? 'queued'
                : date(size.data?.last_ran ?? null)}
          </DescriptionListDescription>
        </DescriptionListGroup>
      </DescriptionList>
      <Button className="berth-gap" onClick={() => recount.mutate()} isLoading={recount.isPending}>
        Count again
      </Button>
    </>
  );
}

function UserQuota() {
  const queries = useQueryClient();
  const [user, setUser] = useState('');
  const [gib, setGib] = useState('');
  const quotas = useQuery({
    queryKey: ['user-quota', user],
    queryFn: () =>
      unwrap(
        api.GET('/superuser/users/{namespace}/quota', { params: { path: { namespace: user } } }),
      ),
    enabled: user !== '',
  });
  const current = quotas.data?.[0];
  const save = useMutation({
    mutationFn: async (): Promise<unknown> => {
      const limit_bytes = Math.round(Number(gib) * 1024 ** 3);
      return current
        ? unwrap(
            api.PUT('/superuser/users/{namespace}/quota/{quota_id}', {
              params: { path: { namespace: user, quota_id: current.id } },
              body: { limit_bytes },
            }),
          )
        : unwrap(
            api.POST('/superuser/users/{namespace}/quota', {
              params: { path: { namespace: user } },
              body: { limit_bytes },
            }),
          );
    },
    onSuccess: () => queries.invalidateQueries({ queryKey: ['user-quota', user] }),
  });
  return (
    <Form onSubmit={submitting(() => save.mutate())}>
      <p>Organizations' quotas are set on each organization's Quota tab.</p>
      <TextField id="quota-user" label="User" required value={user} onChange={setUser} />
      {user && quotas.data ? (
        <p>{current ? `Current quota: ${bytes(current.limit_bytes)}` : 'No quota set.'}</p>
      ) : null}
      <TextField
        id="quota-user-gib"
        label="Quota (GiB)"
        required
        type="number"
        value={gib}
        onChange={setGib}
      />
      <Submit
        error={quotas.error ?? save.error}
        busy={save.isPending}
        disabled={!user || !(Number(gib) > 0)}
      >
        Set quota
      </Submit>
    </Form>
  );
}
