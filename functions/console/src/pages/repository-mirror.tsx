import { TextField, Submit, submitting } from '../components/form-fields';
import {
  ActionGroup,
  Alert,
  Button,
  Checkbox,
  DescriptionList,
  DescriptionListDescription,
  DescriptionListGroup,
  DescriptionListTerm,
  Form,
  Label,
  Title,
} from '@patternfly/react-core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, unwrap } from '../api/client';
import { date } from '../api/format';
import { ErrorAlert } from '../components/error-alert';
import { Loading } from '../app';

type Mirror = Awaited<ReturnType<typeof fetchMirror>>;

async function fetchMirror(namespace: string, repository: string) {
  try {
    return await unwrap(
      api.GET('/repository/{namespace}/{repository}/mirror', {
        params: { path: { namespace, repository } },
      }),
    );
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

const STATUS_COLOR = {
  SUCCESS: 'green',
  FAIL: 'red',
  SYNCING: 'blue',
  SYNC_NOW: 'blue',
  CANCEL: 'orange',
  NEVER_RUN: 'grey',
} as const;

/** Quay's mirroring tab: the configuration form, sync now, cancel, and how the last sync went. */
export function RepositoryMirror({
  namespace,
  name,
  state,
}: {
  namespace: string;
  name: string;
  state: string;
}) {
  const [watchUntil, setWatchUntil] = useState(0);
  const mirror = useQuery({
    queryKey: ['mirror', namespace, name],
    queryFn: () => fetchMirror(namespace, name),
    // A sync in progress, or one just asked for, is watched until it ends.
    refetchInterval: (q) =>
      (q.state.data && ['SYNCING', 'SYNC_NOW'].includes(q.state.data.sync_status)) ||
      Date.now() < watchUntil
        ? 2000
        : false,
  });
  if (mirror.isPending) return <Loading />;
  if (mirror.isError) return <ErrorAlert error={mirror.error} />;
  return (
    <>
      {mirror.data ? (
        <MirrorStatus
          namespace={namespace}
          name={name}
          mirror={mirror.data}
          onRequested={() => setWatchUntil(Date.now() + 60_000)}
        />
      ) : null}
      {!mirror.data && state !== 'NORMAL' ? (
        <Alert
          isInline
          variant="info"
          title={`This repository is ${state}; creating a mirror makes it MIRROR.`}
        />
      ) : null}
      <MirrorForm
        key={mirror.data ? 'edit' : 'new'}
        namespace={namespace}
        name={name}
        mirror={mirror.data}
        onSaved={() => setWatchUntil(Date.now() + 60_000)}
      />
    </>
  );
}

function MirrorStatus({
  namespace,
  name,
  mirror,
  onRequested,
}: {
  namespace: string;
  name: string;
  mirror: NonNullable<Mirror>;
  onRequested: () => void;
}) {
  const queries = useQueryClient();
  const path = { params: { path: { namespace, repository: name } } };
  const act = useMutation({
    mutationFn: (what: 'sync-now' | 'sync-cancel') =>
      what === 'sync-now'
        ? unwrap(api.POST('/repository/{namespace}/{repository}/mirror/sync-now', path))
        : unwrap(api.POST('/repository/{namespace}/{repository}/mirror/sync-cancel', path)),
    // Refused or not, a sync may be under way (the scheduler starts one as soon as it is due): watch it.
    onSettled: () => {
      onRequested();
      return queries.invalidateQueries({ queryKey: ['mirror', namespace, name] });
    },
  });
  return (
    <>
      <Title headingLevel="h2">Status</Title>
      <DescriptionList isHorizontal className="berth-gap">
        <DescriptionListGroup>
          <DescriptionListTerm>State</DescriptionListTerm>
          <DescriptionListDescription>
            <Label color={STATUS_COLOR[mirror.sync_status]} data-testid="mirror-status">
              {mirror.sync_status}
            </Label>
          </DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Last sync</DescriptionListTerm>
          <DescriptionListDescription>
            {date(mirror.last_sync_date ?? null)}
          </DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Next sync</DescriptionListTerm>
          <DescriptionListDescription>{date(mirror.sync_start_date)}</DescriptionListDescription>
        </DescriptionListGroup>
        <DescriptionListGroup>
          <DescriptionListTerm>Last error</DescriptionListTerm>
          <DescriptionListDescription>{mirror.last_sync_error ?? '—'}</DescriptionListDescription>
        </DescriptionListGroup>
      </DescriptionList>
      <ErrorAlert error={act.error} />
      <ActionGroup>
        <Button onClick={() => act.mutate('sync-now')} isLoading={act.isPending}>
          Sync now
        </Button>{' '}
        <Button variant="secondary" onClick={() => act.mutate('sync-cancel')}>
          Cancel sync
        </Button>
      </ActionGroup>
    </>
  );
}

function MirrorForm({
  namespace,
  name,
  mirror,
  onSaved,
}: {
  namespace: string;
  name: string;
  mirror: Mirror;
  /** A new mirror is due at once, so its first sync may start any moment. */
  onSaved: () => void;
}) {
  const queries = useQueryClient();
  const [reference, setReference] = useState(mirror?.external_reference ?? '');
  const [username, setUsername] = useState(mirror?.external_registry_username ?? '');
  const [password, setPassword] = useState('');
  const [robot, setRobot] = useState(mirror?.robot_username ?? `${namespace}+`);
  const [tags, setTags] = useState((mirror?.root_rule.rule_value ?? ['latest']).join(', '));
  const [interval, setInterval] = useState(String(mirror?.sync_interval ?? 3600));
  const [verifyTls, setVerifyTls] = useState(mirror?.external_registry_config.verify_tls ?? true);
  const [enabled, setEnabled] = useState(mirror?.is_enabled ?? true);
  const save = useMutation({
    mutationFn: () => {
      const body = {
        is_enabled: enabled,
        external_reference: reference,
        external_registry_username: username || null,
        ...(password ? { external_registry_password: password } : {}),
        sync_interval: Number(interval),
        robot_username: robot,
        root_rule: {
          rule_kind: 'tag_glob_csv' as const,
          rule_value: tags
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        },
        external_registry_config: { verify_tls: verifyTls },
      };
      const path = { params: { path: { namespace, repository: name } } };
      return mirror
        ? unwrap(api.PUT('/repository/{namespace}/{repository}/mirror', { ...path, body }))
        : unwrap(
            api.POST('/repository/{namespace}/{repository}/mirror', {
              ...path,
              body: { ...body, sync_start_date: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
            }),
          );
    },
    onSuccess: () => {
      setPassword('');
      onSaved();
      return Promise.all([
        queries.invalidateQueries({ queryKey: ['mirror', namespace, name] }),
        queries.invalidateQueries({ queryKey: ['repository', namespace, name] }),
      ]);
    },
  });
  return (
    <Form className="berth-gap" onSubmit={submitting(() => save.mutate())}>
      <Title headingLevel="h2">{mirror ? 'Configuration' : 'Mirror another registry'}</Title>
      <TextField
        id="mirror-reference"
        label="Upstream repository (host/path)"
        required
        placeholder="quay.io/coreos/etcd"
        value={reference}
        onChange={setReference}
      />
      <TextField
        id="mirror-tags"
        label="Tags to mirror (comma-separated, globs allowed)"
        required
        value={tags}
        onChange={setTags}
      />
      <TextField
        id="mirror-robot"
        label="Robot that writes the mirror"
        required
        value={robot}
        onChange={setRobot}
      />
      <TextField
        id="mirror-interval"
        label="Sync interval (seconds)"
        required
        type="number"
        value={interval}
        onChange={setInterval}
      />
      <TextField
        id="mirror-username"
        label="Upstream username"
        value={username}
        onChange={setUsername}
      />
      <TextField
        id="mirror-password"
        label={mirror ? 'Upstream password (leave empty to keep)' : 'Upstream password'}
        type="password"
        value={password}
        onChange={setPassword}
      />
      <Checkbox
        id="mirror-verify-tls"
        label="Verify the upstream's TLS certificate"
        isChecked={verifyTls}
        onChange={(_e, v) => setVerifyTls(v)}
      />
      <Checkbox
        id="mirror-enabled"
        label="Sync on schedule"
        isChecked={enabled}
        onChange={(_e, v) => setEnabled(v)}
      />
      <Submit error={save.error} busy={save.isPending}>
        {mirror ? 'Save mirror' : 'Create mirror'}
      </Submit>
    </Form>
  );
}
