import {
  Alert,
  Button,
  ClipboardCopy,
  Modal,
  ModalBody,
  ModalFooter,
  ModalHeader,
} from '@patternfly/react-core';
import { useId } from 'react';

/** A secret the server shows once (a robot's token, an app token, a password): copy it now. */
export function ShownOnce({
  title,
  label,
  secret,
  extra,
  onClose,
}: {
  title: string;
  label: string;
  secret: string | null;
  extra?: React.ReactNode;
  onClose: () => void;
}) {
  const titleId = useId();
  return (
    <Modal isOpen={secret !== null} onClose={onClose} variant="medium" aria-labelledby={titleId}>
      <ModalHeader title={title} labelId={titleId} />
      <ModalBody>
        <Alert
          variant="warning"
          isInline
          title="Copy it now: it is shown this once and cannot be shown again."
        />
        <p className="berth-gap">{label}</p>
        <ClipboardCopy
          isReadOnly
          hoverTip="Copy"
          clickTip="Copied"
          textAriaLabel={label}
          toggleAriaLabel="Show the whole value"
          data-testid="shown-once-secret"
        >
          {secret ?? ''}
        </ClipboardCopy>
        {extra}
      </ModalBody>
      <ModalFooter>
        <Button onClick={onClose}>Done</Button>
      </ModalFooter>
    </Modal>
  );
}
