import { Form, FormGroup, FormSelect, FormSelectOption, Title } from '@patternfly/react-core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, unwrap, type Schemas } from '../api/client';
import { ConfirmButton } from '../components/confirm-button';
import { ErrorAlert } from '../components/error-alert';

/** The time-machine windows Quay offers by default (TAG_EXPIRATION_OPTIONS). */
export const WINDOWS: { seconds: number; label: string }[] = [
  { seconds: 0, label: 'None: deleted tags go at once' },
  { seconds: 86_400, label: '1 day' },
  { seconds: 604_800, label: '1 week' },
  { seconds: 1_209_600, label: '2 weeks' },
  { seconds: 2_419_200, label: '4 weeks' },
];

export function OrganizationSettings({
  org,
  view,
}: {
  org: string;
  view: Schemas['Organization'];
}) {
  const queries = useQueryClient();
  const navigate = useNavigate();
  const save = useMutation({
    mutationFn: (seconds: number) =>
      unwrap(
        api.PUT('/organization/{orgname}', {
          params: { path: { orgname: org } },
          body: { tag_expiration_s: seconds },
        }),
      ),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['organization', org] }),
  });
  return (
    <>
      <Form isHorizontal>
        <FormGroup
          label="Time machine (how long deleted tags stay restorable)"
          fieldId="org-window"
        >
          <FormSelect
            id="org-window"
            value={String(view.tag_expiration_s ?? '')}
            onChange={(_e, v) => save.mutate(Number(v))}
          >
            {WINDOWS.map((w) => (
              <FormSelectOption key={w.seconds} value={String(w.seconds)} label={w.label} />
            ))}
          </FormSelect>
        </FormGroup>
        <ErrorAlert error={save.error} />
      </Form>
      <Title headingLevel="h2" className="berth-gap">
        Delete organization
      </Title>
      <ConfirmButton
        label="Delete organization"
        buttonVariant="danger"
        title={`Delete ${org}?`}
        body="Every repository, team and robot of it goes. This cannot be undone."
        onConfirm={async () => {
          await unwrap(
            api.DELETE('/organization/{orgname}', { params: { path: { orgname: org } } }),
          );
          await queries.invalidateQueries({ queryKey: ['me'] });
          navigate('/organization');
        }}
      />
    </>
  );
}
