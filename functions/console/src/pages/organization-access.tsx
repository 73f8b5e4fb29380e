import { TextField, Submit, submitting } from '../components/form-fields';
import { Form, FormGroup, FormSelect, FormSelectOption } from '@patternfly/react-core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../api/client';
import { ConfirmButton } from '../components/confirm-button';
import { DataTable } from '../components/data-table';
import { ErrorAlert } from '../components/error-alert';
import { ShownOnce } from '../components/shown-once';

type Role = 'read' | 'write' | 'admin';

/** Quay's default permissions (prototypes): who gets what on every new repository. */
export function DefaultPermissions({ org }: { org: string }) {
  const queries = useQueryClient();
  const key = ['prototypes', org];
  const orgPath = { params: { path: { orgname: org } } };
  const list = useQuery({
    queryKey: key,
    queryFn: () => unwrap(api.GET('/organization/{orgname}/prototypes', orgPath)),
  });
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'user' | 'team'>('team');
  const [role, setRole] = useState<Role>('read');
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/organization/{orgname}/prototypes', {
          ...orgPath,
          body: { role, delegate: { name, kind } },
        }),
      ),
    onSuccess: () => {
      setName('');
      return queries.invalidateQueries({ queryKey: key });
    },
  });
  return (
    <>
      <ErrorAlert error={list.error} />
      <DataTable
        label="Default permissions"
        empty="No default permissions"
        rows={list.data?.prototypes ?? []}
        rowKey={(p) => p.id}
        columns={[
          { title: 'Who', cell: (p) => p.delegate.name },
          { title: 'Kind', cell: (p) => (p.delegate.is_robot ? 'robot' : p.delegate.kind) },
          { title: 'Role on new repositories', cell: (p) => p.role },
          {
            title: 'Actions',
            screenReaderOnly: true,
            cell: (p) => (
              <ConfirmButton
                label="Delete"
                ariaLabel={`Delete the default permission of ${p.delegate.name}`}
                title="Delete this default permission?"
                body="Repositories created from now on will not get it; existing ones keep theirs."
                onConfirm={async () => {
                  await unwrap(
                    api.DELETE('/organization/{orgname}/prototypes/{prototypeid}', {
                      params: { path: { orgname: org, prototypeid: p.id } },
                    }),
                  );
                  await queries.invalidateQueries({ queryKey: key });
                }}
              />
            ),
          },
        ]}
      />
      <Form className="berth-gap" onSubmit={submitting(() => create.mutate())}>
        <TextField
          id="prototype-name"
          label="Team, user or org+robot"
          required
          value={name}
          onChange={setName}
        />
        <FormGroup label="Kind" fieldId="prototype-kind">
          <FormSelect
            id="prototype-kind"
            value={kind}
            onChange={(_e, v) => setKind(v as 'user' | 'team')}
          >
            <FormSelectOption value="team" label="Team" />
            <FormSelectOption value="user" label="User or robot" />
          </FormSelect>
        </FormGroup>
        <FormGroup label="Role" fieldId="prototype-role">
          <FormSelect id="prototype-role" value={role} onChange={(_e, v) => setRole(v as Role)}>
            <FormSelectOption value="read" label="read" />
            <FormSelectOption value="write" label="write" />
            <FormSelectOption value="admin" label="admin" />
          </FormSelect>
        </FormGroup>
        <Submit error={create.error} busy={create.isPending} disabled={!name}>
          Add default permission
        </Submit>
      </Form>
    </>
  );
}

/** OAuth applications of the organization: register one (its secret is shown once), reset, delete. */
export function Applications({ org }: { org: string }) {
  const queries = useQueryClient();
  const key = ['applications', org];
  const orgPath = { params: { path: { orgname: org } } };
  const list = useQuery({
    queryKey: key,
    queryFn: () => unwrap(api.GET('/organization/{orgname}/applications', orgPath)),
  });
  const [name, setName] = useState('');
  const [redirect, setRedirect] = useState('');
  const [homepage, setHomepage] = useState('');
  const [shown, setShown] = useState<Schemas['OAuthApplication'] | null>(null);
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/organization/{orgname}/applications', {
          ...orgPath,
          body: { name, redirect_uri: redirect, application_uri: homepage },
        }),
      ),
    onSuccess: (created) => {
      setShown(created);
      setName('');
      setRedirect('');
      setHomepage('');
      return queries.invalidateQueries({ queryKey: key });
    },
  });
  const appPath = (client_id: string) => ({ params: { path: { orgname: org, client_id } } });
  return (
    <>
      <ErrorAlert error={list.error} />
      <DataTable
        label="OAuth applications"
        empty="No OAuth applications"
        rows={list.data?.applications ?? []}
        rowKey={(a) => a.client_id}
        columns={[
          { title: 'Name', cell: (a) => a.name },
          { title: 'Client ID', cell: (a) => <code>{a.client_id}</code> },
          { title: 'Redirect URI', cell: (a) => a.redirect_uri },
          {
            title: 'Actions',
            screenReaderOnly: true,
            cell: (a) => (
              <>
                <ConfirmButton
                  label="Reset secret"
                  variant="primary"
                  ariaLabel={`Reset secret of ${a.name}`}
                  title={`Reset the client secret of ${a.name}?`}
                  body="The current secret stops working at once."
                  onConfirm={async () =>
                    setShown(
                      await unwrap(
                        api.POST(
                          '/organization/{orgname}/applications/{client_id}/resetclientsecret',
                          appPath(a.client_id),
                        ),
                      ),
                    )
                  }
                />
                <ConfirmButton
                  label="Delete"
                  ariaLabel={`Delete application ${a.name}`}
                  title={`Delete ${a.name}?`}
                  body="Every token granted to it stops working."
                  onConfirm={async () => {
                    await unwrap(
                      api.DELETE(
                        '/organization/{orgname}/applications/{client_id}',
                        appPath(a.client_id),
                      ),
                    );
                    await queries.invalidateQueries({ queryKey: key });
                  }}
                />
              </>
            ),
          },
        ]}
      />
      <Form className="berth-gap" onSubmit={submitting(() => create.mutate())}>
        <TextField
          id="app-name"
          label="Application name"
          required
          value={name}
          onChange={setName}
        />
        <TextField
          id="app-redirect"
          label="Redirect URI"
          required
          value={redirect}
          onChange={setRedirect}
        />
        <TextField id="app-homepage" label="Homepage" value={homepage} onChange={setHomepage} />
        <Submit error={create.error} busy={create.isPending} disabled={!name || !redirect}>
          Register application
        </Submit>
      </Form>
      <ShownOnce
        title={`Client secret of ${shown?.name ?? ''}`}
        label={`Client ID ${shown?.client_id ?? ''}; its secret:`}
        secret={shown?.client_secret ?? null}
        onClose={() => setShown(null)}
      />
    </>
  );
}
