import { TextField, Submit, submitting } from '../components/form-fields';
import { Form, FormGroup, FormSelect, FormSelectOption, Title } from '@patternfly/react-core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { api, unwrap, type Schemas } from '../api/client';
import { AutoprunePolicies } from '../components/autoprune-policies';
import { ConfirmButton } from '../components/confirm-button';
import { DataTable } from '../components/data-table';
import { ErrorAlert } from '../components/error-alert';

type Role = 'read' | 'write' | 'admin';
type Repo = Schemas['Repository'];

const ROLES: Role[] = ['read', 'write', 'admin'];

/** Quay's settings tab: visibility, state, permissions, auto-prune, deletion. */
export function RepositorySettings({ repository }: { repository: Repo }) {
  const { namespace, name } = repository;
  const path = { namespace, repository: name };
  const queries = useQueryClient();
  const navigate = useNavigate();
  const refreshRepo = () =>
    queries.invalidateQueries({ queryKey: ['repository', namespace, name] });
  const visibility = useMutation({
    mutationFn: (v: 'public' | 'private') =>
      unwrap(
        api.POST('/repository/{namespace}/{repository}/changevisibility', {
          params: { path },
          body: { visibility: v },
        }),
      ),
    onSuccess: refreshRepo,
  });
  const state = useMutation({
    mutationFn: (s: 'NORMAL' | 'READ_ONLY') =>
      unwrap(
        api.PUT('/repository/{namespace}/{repository}/changestate', {
          params: { path },
          body: { state: s },
        }),
      ),
    onSuccess: refreshRepo,
  });
  return (
    <div className="berth-gap">
      <Title headingLevel="h2">Permissions</Title>
      <Permissions namespace={namespace} name={name} />

      <Title headingLevel="h2" className="berth-gap">
        Visibility and state
      </Title>
      <Form isHorizontal>
        <FormGroup label="Visibility" fieldId="repo-visibility">
          <FormSelect
            id="repo-visibility"
            value={repository.is_public ? 'public' : 'private'}
            onChange={(_e, v) => visibility.mutate(v as 'public' | 'private')}
          >
            <FormSelectOption value="private" label="Private" />
            <FormSelectOption value="public" label="Public" />
          </FormSelect>
        </FormGroup>
        <FormGroup label="State" fieldId="repo-state">
          <FormSelect
            id="repo-state"
            value={repository.state}
            isDisabled={repository.state === 'MIRROR'}
            onChange={(_e, v) => state.mutate(v as 'NORMAL' | 'READ_ONLY')}
          >
            <FormSelectOption value="NORMAL" label="Normal" />
            <FormSelectOption value="READ_ONLY" label="Read-only: every write refused" />
            {repository.state === 'MIRROR' ? (
              <FormSelectOption value="MIRROR" label="Mirror (set by the mirror)" />
            ) : null}
          </FormSelect>
        </FormGroup>
        <ErrorAlert error={visibility.error ?? state.error} />
      </Form>

      <Title headingLevel="h2" className="berth-gap">
        Auto-prune policies
      </Title>
      <AutoprunePolicies
        canEdit
        api={{
          key: ['repository', namespace, name],
          list: () =>
            unwrap(
              api.GET('/repository/{namespace}/{repository}/autoprunepolicy', { params: { path } }),
            ),
          create: (body) =>
            unwrap(
              api.POST('/repository/{namespace}/{repository}/autoprunepolicy', {
                params: { path },
                body,
              }),
            ),
          remove: (uuid) =>
            unwrap(
              api.DELETE('/repository/{namespace}/{repository}/autoprunepolicy/{policy_uuid}', {
                params: { path: { ...path, policy_uuid: uuid } },
              }),
            ),
        }}
      />

      <Title headingLevel="h2" className="berth-gap">
        Delete repository
      </Title>
      <ConfirmButton
        label="Delete repository"
        buttonVariant="danger"
        title={`Delete ${namespace}/${name}?`}
        body="Every tag and image in it goes, and its history with them. This cannot be undone."
        onConfirm={async () => {
          await unwrap(api.DELETE('/repository/{namespace}/{repository}', { params: { path } }));
          await queries.invalidateQueries({ queryKey: ['repositories'] });
          navigate('/repository');
        }}
      />
    </div>
  );
}

interface Grant {
  kind: 'user' | 'team';
  name: string;
  role: Role;
  is_robot?: boolean;
}

function Permissions({ namespace, name }: { namespace: string; name: string }) {
  const queries = useQueryClient();
  const path = { namespace, repository: name };
  const key = ['permissions', namespace, name];
  const grants = useQuery({
    queryKey: key,
    queryFn: async (): Promise<Grant[]> => {
      const [users, teams] = await Promise.all([
        unwrap(
          api.GET('/repository/{namespace}/{repository}/permissions/user', { params: { path } }),
        ),
        unwrap(
          api.GET('/repository/{namespace}/{repository}/permissions/team', { params: { path } }),
        ),
      ]);
      return [
        ...Object.values(users.permissions).map((p) => ({
          kind: 'user' as const,
          name: p.name,
          role: p.role,
          is_robot: p.is_robot ?? false,
        })),
        ...Object.values(teams.permissions).map((p) => ({
          kind: 'team' as const,
          name: p.name,
          role: p.role,
        })),
      ];
    },
  });
  const [who, setWho] = useState('');
  const [kind, setKind] = useState<'user' | 'team'>('user');
  const [role, setRole] = useState<Role>('read');
  const set = useMutation({
    mutationFn: (g: Grant) =>
      g.kind === 'team'
        ? unwrap(
            api.PUT('/repository/{namespace}/{repository}/permissions/team/{teamname}', {
              params: { path: { ...path, teamname: g.name } },
              body: { role: g.role },
            }),
          )
        : unwrap(
            api.PUT('/repository/{namespace}/{repository}/permissions/user/{username}', {
              params: { path: { ...path, username: g.name } },
              body: { role: g.role },
            }),
          ),
    onSuccess: () => {
      setWho('');
      return queries.invalidateQueries({ queryKey: key });
    },
  });
  const remove = async (g: Grant) => {
    if (g.kind === 'team') {
      await unwrap(
        api.DELETE('/repository/{namespace}/{repository}/permissions/team/{teamname}', {
          params: { path: { ...path, teamname: g.name } },
        }),
      );
    } else {
      await unwrap(
        api.DELETE('/repository/{namespace}/{repository}/permissions/user/{username}', {
          params: { path: { ...path, username: g.name } },
        }),
      );
    }
    await queries.invalidateQueries({ queryKey: key });
  };
  return (
    <>
      <ErrorAlert error={grants.error} />
      <DataTable
        label="Permissions"
        empty="Only the namespace's administrators have access"
        rows={grants.data ?? []}
        rowKey={(g) => `${g.kind}:${g.name}`}
        columns={[
          { title: 'Name', cell: (g) => g.name },
          {
            title: 'Kind',
            cell: (g) => (g.kind === 'team' ? 'team' : g.is_robot ? 'robot' : 'user'),
          },
          {
            title: 'Role',
            cell: (g) => (
              <FormSelect
                aria-label={`Role of ${g.name}`}
                value={g.role}
                onChange={(_e, v) => set.mutate({ ...g, role: v as Role })}
              >
                {ROLES.map((r) => (
                  <FormSelectOption key={r} value={r} label={r} />
                ))}
              </FormSelect>
            ),
          },
          {
            title: 'Actions',
            screenReaderOnly: true,
            cell: (g) => (
              <ConfirmButton
                label="Remove"
                ariaLabel={`Remove the permission of ${g.name}`}
                title={`Remove ${g.name}'s permission?`}
                body="They keep whatever their teams or the namespace give them."
                onConfirm={() => remove(g)}
              />
            ),
          },
        ]}
      />
      <Form
        className="berth-gap"
        onSubmit={submitting(() => set.mutate({ kind, name: who, role }))}
      >
        <TextField
          id="grant-who"
          label="Grant to (user, namespace+robot, or team name)"
          required
          value={who}
          onChange={setWho}
        />
        <FormGroup label="Kind" fieldId="grant-kind">
          <FormSelect
            id="grant-kind"
            value={kind}
            onChange={(_e, v) => setKind(v as 'user' | 'team')}
          >
            <FormSelectOption value="user" label="User or robot" />
            <FormSelectOption value="team" label="Team" />
          </FormSelect>
        </FormGroup>
        <FormGroup label="Role" fieldId="grant-role">
          <FormSelect id="grant-role" value={role} onChange={(_e, v) => setRole(v as Role)}>
            {ROLES.map((r) => (
              <FormSelectOption key={r} value={r} label={r} />
            ))}
          </FormSelect>
        </FormGroup>
        <Submit error={set.error} busy={set.isPending} disabled={!who}>
          Grant permission
        </Submit>
      </Form>
    </>
  );
}
