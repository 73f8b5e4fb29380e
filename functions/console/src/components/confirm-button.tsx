import { Button, Modal, ModalBody, ModalFooter, ModalHeader } from '@patternfly/react-core';
import { useId, useState } from 'react';
import { ErrorAlert } from './error-alert';

/** A button that asks before it does something that cannot be undone. */
export function ConfirmButton({
  label,
  title,
  body,
  onConfirm,
  variant = 'danger',
  buttonVariant = 'link',
  ariaLabel,
}: {
  label: string;
  title: string;
  body: React.ReactNode;
  onConfirm: () => Promise<unknown>;
  variant?: 'danger' | 'primary';
  buttonVariant?: 'link' | 'danger' | 'secondary';
  ariaLabel?: string;
}) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const titleId = useId();
  return (
    <>
      <Button
        variant={buttonVariant}
        isDanger={variant === 'danger' && buttonVariant === 'link'}
        aria-label={ariaLabel}
        onClick={() => setOpen(true)}
      >
        {label}
      </Button>
      <Modal isOpen={open} onClose={() => setOpen(false)} variant="small" aria-labelledby={titleId}>
        <ModalHeader title={title} labelId={titleId} />
        <ModalBody>
          {body}
          <ErrorAlert error={error} />
        </ModalBody>
        <ModalFooter>
          <Button
            variant={variant}
            isLoading={busy}
            onClick={async () => {
              setBusy(true);
              setError(null);
              try {
                await onConfirm();
                setOpen(false);
              } catch (e) {
                setError(e);
              } finally {
                setBusy(false);
              }
            }}
          >
            {label}
          </Button>
          <Button variant="link" onClick={() => setOpen(false)}>
            Cancel
          </Button>
        </ModalFooter>
      </Modal>
    </>
  );
}
