import { TextField, submitting } from '../components/form-fields';
import {
  ActionGroup,
  Button,
  Form,
  FormGroup,
  FormSelect,
  FormSelectOption,
  Label,
  Modal,
  ModalBody,
  ModalHeader,
  PageSection,
  SearchInput,
  Toolbar,
  ToolbarContent,
  ToolbarItem,
} from '@patternfly/react-core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useDeferredValue, useId, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../api/client';
import { bytes, date } from '../api/format';
import { useMe } from '../api/session';
import { DataTable } from '../components/data-table';
import { ErrorAlert } from '../components/error-alert';
import { PageHeader } from '../components/page-header';

/** Every repository the user may read, filtered by name and namespace on the server. */
export default function Repositories() {
  const me = useMe();
  const [filter, setFilter] = useState('');
  const [namespace, setNamespace] = useState('');
  const [page, setPage] = useState<string | undefined>(undefined);
  const [creating, setCreating] = useState(false);
  const query = useDeferredValue(filter);
  const repos = useQuery({
    queryKey: ['repositories', namespace, query, page],
    queryFn: () =>
      unwrap(
        api.GET('/repository', {
          params: {
            query: {
              ...(namespace ? { namespace } : {}),
              ...(query ? { filter: query } : {}),
              ...(page ? { next_page: page } : {}),
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const namespaces = [
    me.data?.username ?? '',
    ...(me.data?.organizations ?? []).map((o) => o.name),
  ];

  return (
    <>
      <PageHeader title="Repositories" />
      <PageSection>
        <Toolbar>
          <ToolbarContent>
            <ToolbarItem>
              <SearchInput
                aria-label="Filter repositories by name"
                placeholder="Filter by name"
                value={filter}
                onChange={(_e, v) => {
                  setFilter(v);
                  setPage(undefined);
                }}
                onClear={() => setFilter('')}
              />
            </ToolbarItem>
            <ToolbarItem>
              <FormSelect
                aria-label="Namespace"
                value={namespace}
                onChange={(_e, v) => {
                  setNamespace(v);
                  setPage(undefined);
                }}
              >
                <FormSelectOption value="" label="All namespaces" />
                {namespaces.map((n) => (
                  <FormSelectOption key={n} value={n} label={n} />
                ))}
              </FormSelect>
            </ToolbarItem>
            <ToolbarItem>
              <Button onClick={() => setCreating(true)}>Create repository</Button>
            </ToolbarItem>
          </ToolbarContent>
        </Toolbar>
        <ErrorAlert error={repos.error} />
        <DataTable
          label="Repositories"
          empty={repos.isPending ? 'Loading…' : 'No repositories'}
          rows={repos.data?.repositories ?? []}
          rowKey={(r) => `${r.namespace}/${r.name}`}
          columns={[
            {
              title: 'Name',
              cell: (r) => (
                <Link
                  to={`/repository/${r.namespace}/${r.name}`}
                >{`${r.namespace}/${r.name}`}</Link>
              ),
            },
            {
              title: 'Visibility',
              cell: (r) => (
                <Label color={r.is_public ? 'green' : 'grey'}>
                  {r.is_public ? 'public' : 'private'}
                </Label>
              ),
            },
            { title: 'State', cell: (r) => (r.state === 'NORMAL' ? '' : r.state) },
            { title: 'Last modified', cell: (r) => date(r.last_modified ?? null) },
            { title: 'Size', cell: (r) => bytes(r.quota_report?.quota_bytes) },
          ]}
        />
        {repos.data?.next_page ? (
          <Button variant="link" onClick={() => setPage(repos.data?.next_page)}>
            Next page
          </Button>
        ) : null}
        {page ? (
          <Button variant="link" onClick={() => setPage(undefined)}>
            First page
          </Button>
        ) : null}
      </PageSection>
      <CreateRepository
        open={creating}
        namespaces={namespaces.filter(Boolean)}
        onClose={() => setCreating(false)}
      />
    </>
  );
}

function CreateRepository({
  open,
  namespaces,
  onClose,
}: {
  open: boolean;
  namespaces: string[];
  onClose: () => void;
}) {
  const titleId = useId();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [namespace, setNamespace] = useState('');
  const [name, setName] = useState('');
  const [visibility, setVisibility] = useState<'private' | 'public'>('private');
  const [description, setDescription] = useState('');
  const create = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/repository', {
          body: {
            namespace: namespace || namespaces[0]!,
            repository: name,
            visibility,
            description,
          },
        }),
      ),
    onSuccess: async (created) => {
      await queries.invalidateQueries({ queryKey: ['repositories'] });
      onClose();
      navigate(`/repository/${created.namespace}/${created.name}`);
    },
  });
  return (
    <Modal isOpen={open} onClose={onClose} variant="small" aria-labelledby={titleId}>
      <ModalHeader title="Create repository" labelId={titleId} />
      <ModalBody>
        <Form onSubmit={submitting(() => create.mutate())}>
          <FormGroup label="Namespace" fieldId="new-repo-namespace">
            <FormSelect
              id="new-repo-namespace"
              value={namespace || namespaces[0]}
              onChange={(_e, v) => setNamespace(v)}
            >
              {namespaces.map((n) => (
                <FormSelectOption key={n} value={n} label={n} />
              ))}
            </FormSelect>
          </FormGroup>
          <TextField
            id="new-repo-name"
            label="Repository name"
            required
            value={name}
            onChange={setName}
          />
          <FormGroup label="Visibility" fieldId="new-repo-visibility">
            <FormSelect
              id="new-repo-visibility"
              value={visibility}
              onChange={(_e, v) => setVisibility(v as 'private' | 'public')}
            >
              <FormSelectOption value="private" label="Private: only those with permission pull" />
              <FormSelectOption value="public" label="Public: anyone pulls" />
            </FormSelect>
          </FormGroup>
          <TextField
            id="new-repo-description"
            label="Description"
            value={description}
            onChange={setDescription}
          />
          <ErrorAlert error={create.error} />
          <ActionGroup>
            <Button type="submit" isLoading={create.isPending} isDisabled={!name}>
              Create
            </Button>
            <Button variant="link" onClick={onClose}>
              Cancel
            </Button>
          </ActionGroup>
        </Form>
      </ModalBody>
    </Modal>
  );
}
