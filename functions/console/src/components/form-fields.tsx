import {
  ActionGroup,
  Button,
  FormGroup,
  TextInput,
  type TextInputProps,
} from '@patternfly/react-core';
import type { ReactNode } from 'react';
import { ErrorAlert } from './error-alert';

/** A labelled text input: the label names the control for assistive technology too. */
export function TextField({
  id,
  label,
  value,
  onChange,
  required = false,
  ...input
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  required?: boolean;
} & Omit<TextInputProps, 'id' | 'value' | 'onChange' | 'isRequired' | 'ref'>) {
  return (
    <FormGroup label={label} isRequired={required} fieldId={id}>
      <TextInput
        id={id}
        isRequired={required}
        value={value}
        onChange={(_event, next) => onChange(next)}
        {...input}
      />
    </FormGroup>
  );
}

/** A form's end: what went wrong with the last try, and the button that sends it. */
export function Submit({
  error,
  busy,
  disabled = false,
  children,
}: {
  error: unknown;
  busy: boolean;
  disabled?: boolean;
  children: ReactNode;
}) {
  return (
    <>
      <ErrorAlert error={error} />
      <ActionGroup>
        <Button type="submit" isDisabled={disabled} isLoading={busy}>
          {children}
        </Button>
      </ActionGroup>
    </>
  );
}
