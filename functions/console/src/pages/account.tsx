import { TextField, Submit, submitting, TimeMachineField } from '../components/form-fields';
import {
  ActionGroup,
  Alert,
  Button,
  Form,
  PageSection,
  Tab,
  Tabs,
  TabTitleText,
} from '@patternfly/react-core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { date } from '../api/format';
import { useMe } from '../api/session';
import { AutoprunePolicies } from '../components/autoprune-policies';
import { ConfirmButton } from '../components/confirm-button';
import { DataTable } from '../components/data-table';
import { ErrorAlert } from '../components/error-alert';
import { LogsTable } from '../components/logs-table';
import { PageHeader } from '../components/page-header';
import { QuotaBar } from '../components/quota-bar';
import { RobotsPanel } from '../components/robots-panel';
import { ShownOnce } from '../components/shown-once';

/** The user's own settings: password, app-specific tokens, robots, namespace settings, logs. */
export default function Account() {
  const me = useMe();
  const [search, setSearch] = useSearchParams();
  const tab = search.get('tab') ?? 'password';
  if (!me.data) return null;
  return (
    <>
      <PageHeader title={`Account: ${me.data.username}`} />
      <PageSection>
        <Tabs
          activeKey={tab}
          onSelect={(_e, key) => setSearch({ tab: String(key) })}
          aria-label="Account"
          mountOnEnter
          unmountOnExit
        >
          <Tab eventKey="password" title={<TabTitleText>Password</TabTitleText>}>
            <ChangePassword />
          </Tab>
          <Tab eventKey="tokens" title={<TabTitleText>App-specific tokens</TabTitleText>}>
            <AppTokens />
          </Tab>
          <Tab eventKey="robots" title={<TabTitleText>Robot accounts</TabTitleText>}>
            <RobotsPanel org={null} />
          </Tab>
          <Tab eventKey="namespace" title={<TabTitleText>Namespace settings</TabTitleText>}>
            <NamespaceSettings />
          </Tab>
          <Tab eventKey="logs" title={<TabTitleText>Usage logs</TabTitleText>}>
            <LogsTable
              queryKey={['user']}
              fetchPage={(next_page) =>
                unwrap(api.GET('/user/logs', { params: { query: next_page ? { next_page } : {} } }))
              }
            />
          </Tab>
        </Tabs>
      </PageSection>
    </>
  );
}

function ChangePassword() {
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const change = useMutation({
    mutationFn: () => unwrap(api.PUT('/user', { body: { password } })),
    onSuccess: () => {
      setPassword('');
      setRepeat('');
    },
  });
  return (
    <Form className="berth-gap" onSubmit={submitting(() => change.mutate())}>
      <TextField
        id="new-password"
        label="New password"
        required
        type="password"
        autoComplete="new-password"
        value={password}
        onChange={setPassword}
      />
      <TextField
        id="repeat-password"
        label="The new password again"
        required
        type="password"
        autoComplete="new-password"
        value={repeat}
        validated={repeat && repeat !== password ? 'error' : 'default'}
        onChange={setRepeat}
      />
      <ErrorAlert error={change.error} />
      {change.isSuccess ? (
        <Alert
          isInline
          variant="success"
          title="Password changed. Your other sessions were signed out."
        />
      ) : null}
      <ActionGroup>
        <Button
          type="submit"
          isDisabled={!password || password !== repeat}
          isLoading={change.isPending}
        >
          Change password
        </Button>
      </ActionGroup>
    </Form>
  );
}

function AppTokens() {
  const queries = useQueryClient();
  const tokens = useQuery({
    queryKey: ['apptokens'],
    queryFn: () => unwrap(api.GET('/user/apptoken')),
  });
  const [title, setTitle] = useState('');
  const [shown, setShown] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () => unwrap(api.POST('/user/apptoken', { body: { title } })),
    onSuccess: (created) => {
      setTitle('');
      setShown(created.token.token_code ?? null);
      return queries.invalidateQueries({ queryKey: ['apptokens'] });
    },
  });
  return (
    <>
      <ErrorAlert error={tokens.error} />
      <DataTable
        label="App-specific tokens"
        empty="No tokens"
        rows={tokens.data?.tokens ?? []}
        rowKey={(t) => t.uuid}
        columns={[
          { title: 'Title', cell: (t) => t.title },
          { title: 'Created', cell: (t) => date(t.created) },
          { title: 'Last used', cell: (t) => date(t.last_accessed) },
          { title: 'Expires', cell: (t) => date(t.expiration) },
          {
            title: 'Actions',
            screenReaderOnly: true,
            cell: (t) => (
              <ConfirmButton
                label="Revoke"
                ariaLabel={`Revoke token ${t.title}`}
                title={`Revoke ${t.title}?`}
                body="Every client using it must log in again."
                onConfirm={async () => {
                  await unwrap(
                    api.DELETE('/user/apptoken/{token_uuid}', {
                      params: { path: { token_uuid: t.uuid } },
                    }),
                  );
                  await queries.invalidateQueries({ queryKey: ['apptokens'] });
                }}
              />
            ),
          },
        ]}
      />
      <Form className="berth-gap" onSubmit={submitting(() => create.mutate())}>
        <TextField
          id="token-title"
          label="Token title"
          required
          value={title}
          onChange={setTitle}
        />
        <Submit error={create.error} busy={create.isPending} disabled={!title}>
          Create token
        </Submit>
      </Form>
      <ShownOnce
        title="New app-specific token"
        label="Log in with the user name $app and this token as the password"
        secret={shown}
        onClose={() => setShown(null)}
      />
    </>
  );
}

function NamespaceSettings() {
  const me = useMe();
  const queries = useQueryClient();
  const save = useMutation({
    mutationFn: (seconds: number) =>
      unwrap(api.PUT('/user', { body: { tag_expiration_s: seconds } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['me'] }),
  });
  const user = me.data!;
  return (
    <>
      {user.quota_report ? (
        <QuotaBar
          title="Your namespace's quota"
          used={user.quota_report.quota_bytes}
          limit={user.quota_report.configured_quota}
        />
      ) : null}
      <Form isHorizontal className="berth-gap">
        <TimeMachineField
          id="user-window"
          seconds={user.tag_expiration_s}
          onChange={(v) => save.mutate(v)}
          error={save.error}
        />
      </Form>
      <AutoprunePolicies
        canEdit
        api={{
          key: ['user'],
          list: () => unwrap(api.GET('/user/autoprunepolicy')),
          create: (body) => unwrap(api.POST('/user/autoprunepolicy', { body })),
          remove: (uuid) =>
            unwrap(
              api.DELETE('/user/autoprunepolicy/{policy_uuid}', {
                params: { path: { policy_uuid: uuid } },
              }),
            ),
        }}
      />
    </>
  );
}
