import { TimeMachineField } from '../components/form-fields';
import { Form, Title } from '@patternfly/react-core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api, unwrap, type Schemas } from '../api/client';
import { ConfirmButton } from '../components/confirm-button';

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
        <TimeMachineField
          id="org-window"
          seconds={view.tag_expiration_s}
          onChange={(v) => save.mutate(v)}
          error={save.error}
        />
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
