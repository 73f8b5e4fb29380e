import { Alert } from '@patternfly/react-core';

/** What went wrong, in the server's own words (Quay's `error_message`). */
export function ErrorAlert({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <Alert variant="danger" isInline title={title ?? message}>
      {title ? message : null}
    </Alert>
  );
}
