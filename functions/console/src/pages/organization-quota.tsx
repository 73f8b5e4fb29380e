import { TextField, Submit, submitting } from '../components/form-fields';
import { Form, FormGroup, FormSelect, FormSelectOption, Title } from '@patternfly/react-core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../api/client';
import { useMe } from '../api/session';
import { ConfirmButton } from '../components/confirm-button';
import { DataTable } from '../components/data-table';
import { QuotaBar } from '../components/quota-bar';

/** The organization's usage against its quota; superusers set the quota, admins its limits. */
export function OrganizationQuota({ org, view }: { org: string; view: Schemas['Organization'] }) {
  const me = useMe();
  const queries = useQueryClient();
  const quota = view.quotas?.[0];
  const report = view.quota_report;
  const refresh = () => queries.invalidateQueries({ queryKey: ['organization', org] });
  const [gib, setGib] = useState(quota ? String(quota.limit_bytes / 1024 ** 3) : '');
  const [type, setType] = useState<'Warning' | 'Reject'>('Warning');
  const [percent, setPercent] = useState('80');
  const setQuota = useMutation({
    mutationFn: async (): Promise<unknown> => {
      const limit_bytes = Math.round(Number(gib) * 1024 ** 3);
      return quota
        ? unwrap(
            api.PUT('/superuser/organization/{namespace}/quota/{quota_id}', {
              params: { path: { namespace: org, quota_id: quota.id } },
              body: { limit_bytes },
            }),
          )
        : unwrap(
            api.POST('/superuser/organization/{namespace}/quota', {
              params: { path: { namespace: org } },
              body: { limit_bytes },
            }),
          );
    },
    onSuccess: refresh,
  });
  const addLimit = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST('/organization/{orgname}/quota/{quota_id}/limit', {
          params: { path: { orgname: org, quota_id: quota!.id } },
          body: { type, threshold_percent: Number(percent) },
        }),
      ),
    onSuccess: refresh,
  });
  if (!report)
    return <p>Quota management is off, or only members see this organization's usage.</p>;
  return (
    <>
      <QuotaBar
        title={`Quota of ${org}`}
        used={report.quota_bytes}
        limit={report.configured_quota}
        limits={quota?.limits ?? []}
      />
      {quota ? (
        <DataTable
          label="Quota limits"
          empty="No limits: the quota only reports usage"
          rows={quota.limits}
          rowKey={(l) => String(l.id)}
          columns={[
            { title: 'Action', cell: (l) => (l.type === 'Reject' ? 'Refuse pushes' : 'Warn') },
            { title: 'At', cell: (l) => `${l.limit_percent}%` },
            {
              title: 'Actions',
              screenReaderOnly: true,
              cell: (l) =>
                view.is_admin ? (
                  <ConfirmButton
                    label="Delete"
                    ariaLabel={`Delete the ${l.type} limit`}
                    title="Delete this limit?"
                    body="Pushes past it are no longer warned about or refused."
                    onConfirm={async () => {
                      await unwrap(
                        api.DELETE('/organization/{orgname}/quota/{quota_id}/limit/{limit_id}', {
                          params: {
                            path: { orgname: org, quota_id: quota.id, limit_id: l.id },
                          },
                        }),
                      );
                      await refresh();
                    }}
                  />
                ) : null,
            },
          ]}
        />
      ) : null}
      {me.data?.super_user ? (
        <Form className="berth-gap" onSubmit={submitting(() => setQuota.mutate())}>
          <Title headingLevel="h2">Set the quota</Title>
          <TextField
            id="quota-gib"
            label="Quota (GiB)"
            required
            type="number"
            value={gib}
            onChange={setGib}
          />
          <Submit error={setQuota.error} busy={setQuota.isPending} disabled={!(Number(gib) > 0)}>
            {quota ? 'Change quota' : 'Set quota'}
          </Submit>
        </Form>
      ) : null}
      {quota && view.is_admin ? (
        <Form className="berth-gap" onSubmit={submitting(() => addLimit.mutate())}>
          <Title headingLevel="h2">Add a limit</Title>
          <FormGroup label="Action" fieldId="limit-type">
            <FormSelect
              id="limit-type"
              value={type}
              onChange={(_e, v) => setType(v as 'Warning' | 'Reject')}
            >
              <FormSelectOption value="Warning" label="Warn" />
              <FormSelectOption value="Reject" label="Refuse pushes" />
            </FormSelect>
          </FormGroup>
          <TextField
            id="limit-percent"
            label="At (percent of the quota)"
            required
            type="number"
            value={percent}
            onChange={setPercent}
          />
          <Submit error={addLimit.error} busy={addLimit.isPending}>
            Add limit
          </Submit>
        </Form>
      ) : null}
    </>
  );
}
