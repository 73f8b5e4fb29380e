import { TextField, Submit, submitting } from './form-fields';
import { Form, FormGroup, FormSelect, FormSelectOption } from '@patternfly/react-core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ConfirmButton } from './confirm-button';
import { DataTable } from './data-table';
import { ErrorAlert } from './error-alert';

export interface Policy {
  uuid: string;
  method: 'number_of_tags' | 'creation_date';
  value: number | string;
  tagPattern?: string;
  tagPatternMatches?: boolean;
}

export interface PolicyApi {
  key: unknown[];
  list: () => Promise<{ policies: Policy[] }>;
  create: (body: Omit<Policy, 'uuid'>) => Promise<unknown>;
  remove: (uuid: string) => Promise<unknown>;
}

/** Quay's auto-prune policies of a namespace or a repository: list, add, delete. */
export function AutoprunePolicies({ api, canEdit }: { api: PolicyApi; canEdit: boolean }) {
  const queries = useQueryClient();
  const policies = useQuery({ queryKey: ['autoprune', ...api.key], queryFn: api.list });
  const [method, setMethod] = useState<Policy['method']>('number_of_tags');
  const [value, setValue] = useState('');
  const [pattern, setPattern] = useState('');
  const refresh = () => queries.invalidateQueries({ queryKey: ['autoprune', ...api.key] });
  const create = useMutation({
    mutationFn: () =>
      api.create({
        method,
        value: method === 'number_of_tags' ? Number(value) : value,
        ...(pattern ? { tagPattern: pattern } : {}),
      }),
    onSuccess: () => {
      setValue('');
      setPattern('');
      return refresh();
    },
  });
  return (
    <>
      <ErrorAlert error={policies.error} />
      <DataTable
        label="Auto-prune policies"
        empty="No auto-prune policy"
        rows={policies.data?.policies ?? []}
        rowKey={(p) => p.uuid}
        columns={[
          {
            title: 'Policy',
            cell: (p) =>
              p.method === 'number_of_tags'
                ? `Keep the newest ${p.value} tags`
                : `Prune tags older than ${p.value}`,
          },
          {
            title: 'Tags',
            cell: (p) =>
              p.tagPattern
                ? `${p.tagPatternMatches === false ? 'not matching' : 'matching'} ${p.tagPattern}`
                : 'all',
          },
          {
            title: 'Actions',
            screenReaderOnly: true,
            cell: (p) =>
              canEdit ? (
                <ConfirmButton
                  label="Delete"
                  ariaLabel={`Delete policy ${p.uuid}`}
                  title="Delete this auto-prune policy?"
                  body="Tags it would have pruned are kept from now on."
                  onConfirm={async () => {
                    await api.remove(p.uuid);
                    await refresh();
                  }}
                />
              ) : null,
          },
        ]}
      />
      {canEdit ? (
        <Form className="berth-gap" onSubmit={submitting(() => create.mutate())}>
          <FormGroup label="Prune by" fieldId="prune-method">
            <FormSelect
              id="prune-method"
              value={method}
              onChange={(_e, v) => setMethod(v as Policy['method'])}
            >
              <FormSelectOption value="number_of_tags" label="Number of tags to keep" />
              <FormSelectOption value="creation_date" label="Age of tags (e.g. 2w, 30d)" />
            </FormSelect>
          </FormGroup>
          <TextField
            id="prune-value"
            label="Value"
            required
            value={value}
            type={method === 'number_of_tags' ? 'number' : 'text'}
            onChange={setValue}
          />
          <TextField
            id="prune-pattern"
            label="Only tags matching (regular expression, optional)"
            value={pattern}
            onChange={setPattern}
          />
          <Submit error={create.error} busy={create.isPending}>
            Add policy
          </Submit>
        </Form>
      ) : null}
    </>
  );
}
