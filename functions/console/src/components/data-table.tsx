import { EmptyState } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import type { ReactNode } from 'react';

export interface Column<T> {
  title: string;
  cell: (row: T) => ReactNode;
  /** Hidden from the eye but named for screen readers (an actions column). */
  screenReaderOnly?: boolean;
}

/** A table of rows with a name for assistive technology and a word for when it is empty. */
export function DataTable<T>({
  label,
  columns,
  rows,
  rowKey,
  empty,
}: {
  label: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  empty: string;
}) {
  if (rows.length === 0) {
    return <EmptyState titleText={empty} headingLevel="h3" variant="xs" aria-label={label} />;
  }
  return (
    <Table aria-label={label} variant="compact">
      <Thead>
        <Tr>
          {columns.map((c) => (
            <Th key={c.title} screenReaderText={c.screenReaderOnly ? c.title : undefined}>
              {c.screenReaderOnly ? null : c.title}
            </Th>
          ))}
        </Tr>
      </Thead>
      <Tbody>
        {rows.map((row) => (
          <Tr key={rowKey(row)}>
            {columns.map((c) => (
              <Td key={c.title} dataLabel={c.title} modifier="breakWord">
                {c.cell(row)}
              </Td>
            ))}
          </Tr>
        ))}
      </Tbody>
    </Table>
  );
}
