import { Button } from '@patternfly/react-core';
import { useInfiniteQuery } from '@tanstack/react-query';
import type { Schemas } from '../api/client';
import { date } from '../api/format';
import { DataTable } from './data-table';
import { ErrorAlert } from './error-alert';

type Log = Schemas['Log'];

function describe(log: Log): string {
  const m = log.metadata ?? {};
  const parts = ['repo', 'tag', 'manifest_digest', 'username', 'role', 'robot', 'team', 'namespace']
    .filter((k) => m[k] !== undefined && m[k] !== null)
    .map((k) => `${k}: ${String(m[k])}`);
  return parts.join(', ');
}

/** Usage logs (Quay's audit log), newest first, a page at a time. */
export function LogsTable({
  queryKey,
  fetchPage,
}: {
  queryKey: unknown[];
  fetchPage: (nextPage: string | undefined) => Promise<Schemas['Logs']>;
}) {
  const logs = useInfiniteQuery({
    queryKey: ['logs', ...queryKey],
    queryFn: ({ pageParam }) => fetchPage(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_page,
  });
  if (logs.isError) return <ErrorAlert error={logs.error} />;
  const rows = logs.data?.pages.flatMap((p) => p.logs) ?? [];
  return (
    <>
      <DataTable
        label="Usage logs"
        empty={logs.isPending ? 'Loading…' : 'No activity yet'}
        rows={rows}
        rowKey={(l) => `${l.datetime}-${l.kind}-${JSON.stringify(l.metadata)}`}
        columns={[
          { title: 'Date and time', cell: (l) => date(l.datetime) },
          { title: 'Action', cell: (l) => l.kind },
          { title: 'Details', cell: (l) => describe(l) },
          { title: 'Performed by', cell: (l) => l.performer?.name ?? '(anonymous)' },
          { title: 'Address', cell: (l) => l.ip ?? '—' },
        ]}
      />
      {logs.hasNextPage ? (
        <Button
          variant="link"
          isLoading={logs.isFetchingNextPage}
          onClick={() => logs.fetchNextPage()}
        >
          Older entries
        </Button>
      ) : null}
    </>
  );
}
