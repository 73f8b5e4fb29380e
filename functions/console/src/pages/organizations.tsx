import {
  ActionGroup,
  Button,
  Form,
  FormGroup,
  Label,
  PageSection,
  TextInput,
} from '@patternfly/react-core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../api/client';
import { useMe } from '../api/session';
import { DataTable } from '../components/data-table';
import { ErrorAlert } from '../components/error-alert';
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
        <Form
          className="berth-gap"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <FormGroup label="New organization's name" isRequired fieldId="org-name">
            <TextInput id="org-name" isRequired value={name} onChange={(_e, v) => setName(v)} />
          </FormGroup>
          <FormGroup label="Contact e-mail" fieldId="org-email">
            <TextInput
              id="org-email"
              type="email"
              value={email}
              onChange={(_e, v) => setEmail(v)}
            />
          </FormGroup>
          <ErrorAlert error={create.error} />
          <ActionGroup>
            <Button type="submit" isDisabled={!name} isLoading={create.isPending}>
              Create organization
            </Button>
          </ActionGroup>
        </Form>
      </PageSection>
    </>
  );
}
