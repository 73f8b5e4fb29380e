import { TextField, Submit, submitting } from '../components/form-fields';
import { Form, Label, PageSection } from '@patternfly/react-core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../api/client';
import { useMe } from '../api/session';
import { DataTable } from '../components/data-table';
import { PageHeader } from '../components/page-header';

/** The organizations the user belongs to, and a new one. */
export default function Organizations() {
  const me = useMe();
  const queries = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const create = useMutation({
    mutationFn: () =>
      unwrap(api.POST('/organization', { body: { name, ...(email ? { email } : {}) } })),
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: ['me'] });
      navigate(`/organization/${name}`);
    },
  });
  return (
    <>
      <PageHeader title="Organizations" />
      <PageSection>
        <DataTable
          label="Organizations"
          empty="You belong to no organization"
          rows={me.data?.organizations ?? []}
          rowKey={(o) => o.name}
          columns={[
            { title: 'Name', cell: (o) => <Link to={`/organization/${o.name}`}>{o.name}</Link> },
            {
              title: 'Your role',
              cell: (o) => (o.is_org_admin ? <Label color="purple">admin</Label> : 'member'),
            },
          ]}
        />
        <Form className="berth-gap" onSubmit={submitting(() => create.mutate())}>
          <TextField
            id="org-name"
            label="New organization's name"
            required
            value={name}
            onChange={setName}
          />
          <TextField
            id="org-email"
            label="Contact e-mail"
            type="email"
            value={email}
            onChange={setEmail}
          />
          <Submit error={create.error} busy={create.isPending} disabled={!name}>
            Create organization
          </Submit>
        </Form>
      </PageSection>
    </>
  );
}
