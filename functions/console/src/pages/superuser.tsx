import {
  ActionGroup,
  Button,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Form,
  FormGroup,
  PageSection,
  Tab,
  Tabs,
  TabTitleText,
  TextInput,
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
      <Form
        className="berth-gap"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <FormGroup label="New user's name" isRequired fieldId="su-user">
          <TextInput id="su-user" isRequired value={name} onChange={(_e, v) => setName(v)} />
        </FormGroup>
        <FormGroup label="E-mail" fieldId="su-email">
          <TextInput id="su-email" type="email" value={email} onChange={(_e, v) => setEmail(v)} />
        </FormGroup>
        <ErrorAlert error={create.error} />
        <ActionGroup>
          <Button type="submit" isDisabled={!name} isLoading={create.isPending}>
            Create user
          </Button>
        </ActionGroup>
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
    <Form
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <p>Organizations' quotas are set on each organization's Quota tab.</p>
      <FormGroup label="User" isRequired fieldId="quota-user">
        <TextInput id="quota-user" isRequired value={user} onChange={(_e, v) => setUser(v)} />
      </FormGroup>
      {user && quotas.data ? (
        <p>{current ? `Current quota: ${bytes(current.limit_bytes)}` : 'No quota set.'}</p>
      ) : null}
      <FormGroup label="Quota (GiB)" isRequired fieldId="quota-user-gib">
        <TextInput
          id="quota-user-gib"
          type="number"
          isRequired
          value={gib}
          onChange={(_e, v) => setGib(v)}
        />
      </FormGroup>
      <ErrorAlert error={quotas.error ?? save.error} />
      <ActionGroup>
        <Button type="submit" isDisabled={!user || !(Number(gib) > 0)} isLoading={save.isPending}>
          Set quota
        </Button>
      </ActionGroup>
    </Form>
  );
}
