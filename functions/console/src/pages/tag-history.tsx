import { Button, Label, Toolbar, ToolbarContent, ToolbarItem } from '@patternfly/react-core';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../api/client';
import { date, shortDigest } from '../api/format';
import { ConfirmButton } from '../components/confirm-button';
import { DataTable } from '../components/data-table';
import { ErrorAlert } from '../components/error-alert';

/**
 * Quay's time machine: every tag's lifetimes, newest first. A tag deleted
 * or moved within the namespace's window can point at its old image again.
 */
export function TagHistory({
  namespace,
  name,
  canWrite,
}: {
  namespace: string;
  name: string;
  canWrite: boolean;
}) {
  const queries = useQueryClient();
  const [page, setPage] = useState(1);
  const history = useQuery({
    queryKey: ['history', namespace, name, page],
    queryFn: () =>
      unwrap(
        api.GET('/repository/{namespace}/{repository}/tag', {
          params: { path: { namespace, repository: name }, query: { page, limit: 50 } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const now = Date.now() / 1000;
  return (
    <>
      <Toolbar>
        <ToolbarContent>
          <ToolbarItem>
            <Button variant="secondary" isDisabled={page === 1} onClick={() => setPage(page - 1)}>
              Newer
            </Button>{' '}
            <Button
              variant="secondary"
              isDisabled={!history.data?.has_additional}
              onClick={() => setPage(page + 1)}
            >
              Older
            </Button>
          </ToolbarItem>
        </ToolbarContent>
      </Toolbar>
      <ErrorAlert error={history.error} />
      <DataTable
        label="Tag history"
        empty={history.isPending ? 'Loading…' : 'No history yet'}
        rows={history.data?.tags ?? []}
        rowKey={(t) => `${t.name}-${t.start_ts}-${t.manifest_digest}`}
        columns={[
          { title: 'Tag', cell: (t) => t.name },
          { title: 'Digest', cell: (t) => <code>{shortDigest(t.manifest_digest)}</code> },
          { title: 'From', cell: (t) => date(t.start_ts) },
          {
            title: 'Until',
            cell: (t) =>
              t.end_ts === undefined ? (
                <Label color="green">current</Label>
              ) : t.end_ts > now ? (
                `expires ${date(t.end_ts)}`
              ) : (
                date(t.end_ts)
              ),
          },
          {
            title: 'Actions',
            screenReaderOnly: true,
            cell: (t) =>
              canWrite && t.end_ts !== undefined && t.end_ts <= now ? (
                <ConfirmButton
                  label="Restore"
                  variant="primary"
                  ariaLabel={`Restore ${t.name} to ${t.manifest_digest}`}
                  title={`Restore ${t.name}?`}
                  body={`${t.name} will point at ${shortDigest(t.manifest_digest)} again.`}
                  onConfirm={async () => {
                    await unwrap(
                      api.POST('/repository/{namespace}/{repository}/tag/{tag}/restore', {
                        params: { path: { namespace, repository: name, tag: t.name } },
                        body: { manifest_digest: t.manifest_digest },
                      }),
                    );
                    await Promise.all([
                      queries.invalidateQueries({ queryKey: ['history', namespace, name] }),
                      queries.invalidateQueries({ queryKey: ['tags', namespace, name] }),
                    ]);
                  }}
                />
              ) : null,
          },
        ]}
      />
    </>
  );
}
