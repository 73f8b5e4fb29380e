import { TextField, Submit, submitting } from './form-fields';
import { Button, Form, Modal, ModalBody, ModalHeader } from '@patternfly/react-core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, unwrap, type Schemas } from '../api/client';
import { date } from '../api/format';
import { ConfirmButton } from './confirm-button';
import { DataTable } from './data-table';
import { ErrorAlert } from './error-alert';
import { ShownOnce } from './shown-once';

type Robot = Schemas['Robot'];
type Permissions = { permissions: { repository: { name: string }; role: string }[] };

/** Robots of an organization (or, without one, of the user): the calls differ only in their prefix. */
function robotApi(org: string | null) {
  const short = (robot: string) => robot.slice(robot.indexOf('+') + 1);
  return org === null
    ? {
        list: () => unwrap(api.GET('/user/robots')),
        create: (name: string, description: string) =>
          unwrap(
            api.PUT('/user/robots/{robot_shortname}', {
              params: { path: { robot_shortname: name } },
              body: { description },
            }),
          ),
        regenerate: (robot: string) =>
          unwrap(
            api.POST('/user/robots/{robot_shortname}/regenerate', {
              params: { path: { robot_shortname: short(robot) } },
            }),
          ),
        remove: (robot: string) =>
          unwrap(
            api.DELETE('/user/robots/{robot_shortname}', {
              params: { path: { robot_shortname: short(robot) } },
            }),
          ),
        permissions: (robot: string): Promise<Permissions> =>
          unwrap(
            api.GET('/user/robots/{robot_shortname}/permissions', {
              params: { path: { robot_shortname: short(robot) } },
            }),
          ),
      }
    : {
        list: () =>
          unwrap(api.GET('/organization/{orgname}/robots', { params: { path: { orgname: org } } })),
        create: (name: string, description: string) =>
          unwrap(
            api.PUT('/organization/{orgname}/robots/{robot_shortname}', {
              params: { path: { orgname: org, robot_shortname: name } },
              body: { description },
            }),
          ),
        regenerate: (robot: string) =>
          unwrap(
            api.POST('/organization/{orgname}/robots/{robot_shortname}/regenerate', {
              params: { path: { orgname: org, robot_shortname: short(robot) } },
            }),
          ),
        remove: (robot: string) =>
          unwrap(
            api.DELETE('/organization/{orgname}/robots/{robot_shortname}', {
              params: { path: { orgname: org, robot_shortname: short(robot) } },
            }),
          ),
        permissions: (robot: string): Promise<Permissions> =>
          unwrap(
            api.GET('/organization/{orgname}/robots/{robot_shortname}/permissions', {
              params: { path: { orgname: org, robot_shortname: short(robot) } },
            }),
          ),
      };
}

/** Robot accounts: create (the token is shown once), regenerate, delete, see their permissions. */
export function RobotsPanel({ org }: { org: string | null }) {
  const calls = robotApi(org);
  const queries = useQueryClient();
  const key = ['robots', org ?? '~user'];
  const robots = useQuery({ queryKey: key, queryFn: calls.list });
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [shown, setShown] = useState<Robot | null>(null);
  const [inspecting, setInspecting] = useState<string | null>(null);
  const refresh = () => queries.invalidateQueries({ queryKey: key });
  const create = useMutation({
    mutationFn: () => calls.create(name, description),
    onSuccess: (robot) => {
      setName('');
      setDescription('');
      setShown(robot);
      return refresh();
    },
  });
  return (
    <>
      <ErrorAlert error={robots.error} />
      <DataTable
        label="Robot accounts"
        empty={robots.isPending ? 'Loading…' : 'No robot accounts'}
        rows={robots.data?.robots ?? []}
        rowKey={(r) => r.name}
        columns={[
          { title: 'Name', cell: (r) => r.name },
          { title: 'Description', cell: (r) => r.description },
          { title: 'Created', cell: (r) => date(r.created) },
          { title: 'Last used', cell: (r) => date(r.last_accessed) },
          {
            title: 'Actions',
            screenReaderOnly: true,
            cell: (r) => (
              <>
                <Button
                  variant="link"
                  aria-label={`Permissions of ${r.name}`}
                  onClick={() => setInspecting(r.name)}
                >
                  Permissions
                </Button>
                <ConfirmButton
                  label="Regenerate token"
                  variant="primary"
                  ariaLabel={`Regenerate token of ${r.name}`}
                  title={`Regenerate the token of ${r.name}?`}
                  body="The current token stops working at once; every client using it must log in again."
                  onConfirm={async () => setShown(await calls.regenerate(r.name))}
                />
                <ConfirmButton
                  label="Delete"
                  ariaLabel={`Delete ${r.name}`}
                  title={`Delete ${r.name}?`}
                  body="Its token stops working and its permissions go."
                  onConfirm={async () => {
                    await calls.remove(r.name);
                    await refresh();
                  }}
                />
              </>
            ),
          },
        ]}
      />
      <Form className="berth-gap" onSubmit={submitting(() => create.mutate())}>
        <TextField
          id="robot-name"
          label="New robot's short name"
          required
          value={name}
          onChange={setName}
        />
        <TextField
          id="robot-description"
          label="Description"
          value={description}
          onChange={setDescription}
        />
        <Submit error={create.error} busy={create.isPending} disabled={!name}>
          Create robot account
        </Submit>
      </Form>
      <ShownOnce
        title={`Token of ${shown?.name ?? ''}`}
        label={`Log in as ${shown?.name ?? ''} with this token`}
        secret={shown?.token ?? null}
        onClose={() => setShown(null)}
      />
      <RobotPermissions
        robot={inspecting}
        load={calls.permissions}
        onClose={() => setInspecting(null)}
      />
    </>
  );
}

function RobotPermissions({
  robot,
  load,
  onClose,
}: {
  robot: string | null;
  load: (robot: string) => Promise<Permissions>;
  onClose: () => void;
}) {
  const titleId = useId();
  const permissions = useQuery({
    queryKey: ['robot-permissions', robot],
    queryFn: () => load(robot!),
    enabled: robot !== null,
  });
  return (
    <Modal isOpen={robot !== null} onClose={onClose} variant="medium" aria-labelledby={titleId}>
      <ModalHeader title={`Permissions of ${robot ?? ''}`} labelId={titleId} />
      <ModalBody>
        <ErrorAlert error={permissions.error} />
        <DataTable
          label={`Permissions of ${robot ?? ''}`}
          empty={permissions.isPending ? 'Loading…' : 'No repository permissions'}
          rows={permissions.data?.permissions ?? []}
          rowKey={(p) => p.repository.name}
          columns={[
            { title: 'Repository', cell: (p) => p.repository.name },
            { title: 'Role', cell: (p) => p.role },
          ]}
        />
      </ModalBody>
    </Modal>
  );
}
