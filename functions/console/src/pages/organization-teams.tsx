import { TextField, Submit, submitting } from '../components/form-fields';
import {
  Button,
  Form,
  FormGroup,
  FormSelect,
  FormSelectOption,
  Modal,
  ModalBody,
  ModalHeader,
  Title,
} from '@patternfly/react-core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, unwrap, type Schemas } from '../api/client';
import { ConfirmButton } from '../components/confirm-button';
import { DataTable } from '../components/data-table';
import { ErrorAlert } from '../components/error-alert';

type TeamRole = 'member' | 'creator' | 'admin';
type Team = Schemas['Team'];

/** Teams with their roles and members, and every member of the organization with their teams. */
export function Teams({ org, view }: { org: string; view: Schemas['Organization'] }) {
  const queries = useQueryClient();
  const admin = view.is_admin;
  const teams = Object.values(view.teams ?? {}).filter(Boolean) as Team[];
  const [name, setName] = useState('');
  const [role, setRole] = useState<TeamRole>('member');
  const [open, setOpen] = useState<string | null>(null);
  const members = useQuery({
    queryKey: ['members', org],
    queryFn: () =>
      unwrap(api.GET('/organization/{orgname}/members', { params: { path: { orgname: org } } })),
    enabled: admin,
  });
  const refresh = () =>
    Promise.all([
      queries.invalidateQueries({ queryKey: ['organization', org] }),
      queries.invalidateQueries({ queryKey: ['members', org] }),
    ]);
  const save = useMutation({
    mutationFn: (t: { name: string; role: TeamRole }) =>
      unwrap(
        api.PUT('/organization/{orgname}/team/{teamname}', {
          params: { path: { orgname: org, teamname: t.name } },
          body: { role: t.role },
        }),
      ),
    onSuccess: () => {
      setName('');
      return refresh();
    },
  });
  return (
    <>
      <Title headingLevel="h2">Teams</Title>
      <DataTable
        label="Teams"
        empty="No teams you can see"
        rows={teams}
        rowKey={(t) => t.name}
        columns={[
          { title: 'Team', cell: (t) => t.name },
          {
            title: 'Role',
            cell: (t) =>
              admin ? (
                <FormSelect
                  aria-label={`Role of team ${t.name}`}
                  value={t.role}
                  onChange={(_e, v) => save.mutate({ name: t.name, role: v as TeamRole })}
                >
                  <FormSelectOption value="member" label="member" />
                  <FormSelectOption value="creator" label="creator" />
                  <FormSelectOption value="admin" label="admin" />
                </FormSelect>
              ) : (
                t.role
              ),
          },
          { title: 'Members', cell: (t) => String(t.member_count) },
          { title: 'Repositories', cell: (t) => String(t.repo_count) },
          {
            title: 'Actions',
            screenReaderOnly: true,
            cell: (t) =>
              admin ? (
                <>
                  <Button
                    variant="link"
                    aria-label={`Members of team ${t.name}`}
                    onClick={() => setOpen(t.name)}
                  >
                    Members
                  </Button>
                  {t.name !== 'owners' ? (
                    <ConfirmButton
                      label="Delete"
                      ariaLabel={`Delete team ${t.name}`}
                      title={`Delete team ${t.name}?`}
                      body="Its members lose what the team gave them."
                      onConfirm={async () => {
                        await unwrap(
                          api.DELETE('/organization/{orgname}/team/{teamname}', {
                            params: { path: { orgname: org, teamname: t.name } },
                          }),
                        );
                        await refresh();
                      }}
                    />
                  ) : null}
                </>
              ) : null,
          },
        ]}
      />
      {admin ? (
        <Form className="berth-gap" onSubmit={submitting(() => save.mutate({ name, role }))}>
          <TextField
            id="team-name"
            label="New team's name"
            required
            value={name}
            onChange={setName}
          />
          <FormGroup label="Role" fieldId="team-role">
            <FormSelect id="team-role" value={role} onChange={(_e, v) => setRole(v as TeamRole)}>
              <FormSelectOption
                value="member"
                label="Member: what its repository permissions give"
              />
              <FormSelectOption value="creator" label="Creator: also creates repositories" />
              <FormSelectOption value="admin" label="Admin: administers the organization" />
            </FormSelect>
          </FormGroup>
          <Submit error={save.error} busy={save.isPending} disabled={!name}>
            Create team
          </Submit>
        </Form>
      ) : null}
      {admin ? (
        <>
          <Title headingLevel="h2" className="berth-gap">
            Members
          </Title>
          <ErrorAlert error={members.error} />
          <DataTable
            label="Members"
            empty="No members"
            rows={members.data?.members ?? []}
            rowKey={(m) => m.name}
            columns={[
              { title: 'Name', cell: (m) => m.name },
              { title: 'Kind', cell: (m) => (m.is_robot ? 'robot' : 'user') },
              { title: 'Teams', cell: (m) => m.teams.map((t) => t.name).join(', ') },
            ]}
          />
        </>
      ) : null}
      <TeamMembers org={org} team={open} onClose={() => setOpen(null)} onChange={refresh} />
    </>
  );
}

function TeamMembers({
  org,
  team,
  onClose,
  onChange,
}: {
  org: string;
  team: string | null;
  onClose: () => void;
  onChange: () => Promise<unknown>;
}) {
  const titleId = useId();
  const queries = useQueryClient();
  const key = ['team-members', org, team];
  const members = useQuery({
    queryKey: key,
    queryFn: () =>
      unwrap(
        api.GET('/organization/{orgname}/team/{teamname}/members', {
          params: { path: { orgname: org, teamname: team! } },
        }),
      ),
    enabled: team !== null,
  });
  const [who, setWho] = useState('');
  const path = (membername: string) => ({
    params: { path: { orgname: org, teamname: team!, membername } },
  });
  const add = useMutation({
    mutationFn: () =>
      unwrap(api.PUT('/organization/{orgname}/team/{teamname}/members/{membername}', path(who))),
    onSuccess: async () => {
      setWho('');
      await queries.invalidateQueries({ queryKey: key });
      await onChange();
    },
  });
  return (
    <Modal isOpen={team !== null} onClose={onClose} variant="medium" aria-labelledby={titleId}>
      <ModalHeader title={`Members of ${team ?? ''}`} labelId={titleId} />
      <ModalBody>
        <ErrorAlert error={members.error} />
        <DataTable
          label={`Members of ${team ?? ''}`}
          empty="No members"
          rows={members.data?.members ?? []}
          rowKey={(m) => m.name}
          columns={[
            { title: 'Name', cell: (m) => m.name },
            { title: 'Kind', cell: (m) => (m.is_robot ? 'robot' : 'user') },
            {
              title: 'Actions',
              screenReaderOnly: true,
              cell: (m) => (
                <ConfirmButton
                  label="Remove"
                  ariaLabel={`Remove ${m.name} from the team`}
                  title={`Remove ${m.name} from ${team ?? ''}?`}
                  body="They lose what the team gives them."
                  onConfirm={async () => {
                    await unwrap(
                      api.DELETE(
                        '/organization/{orgname}/team/{teamname}/members/{membername}',
                        path(m.name),
                      ),
                    );
                    await queries.invalidateQueries({ queryKey: key });
                    await onChange();
                  }}
                />
              ),
            },
          ]}
        />
        <Form className="berth-gap" onSubmit={submitting(() => add.mutate())}>
          <TextField
            id="team-member"
            label="Add a user or robot (org+robot)"
            required
            value={who}
            onChange={setWho}
          />
          <Submit error={add.error} busy={add.isPending} disabled={!who}>
            Add member
          </Submit>
        </Form>
      </ModalBody>
    </Modal>
  );
}
