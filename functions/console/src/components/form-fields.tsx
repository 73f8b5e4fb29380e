import {
  ActionGroup,
  Button,
  FormGroup,
  FormSelect,
  FormSelectOption,
  TextInput,
  type TextInputProps,
} from '@patternfly/react-core';
import type { FormEvent, ReactNode } from 'react';
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

/** A form's submit handler: the page stays, the work is done by `run`. */
export const submitting = (run: () => void) => (event: FormEvent) => {
  event.preventDefault();
  run();
};

/** The time-machine windows Quay offers by default (TAG_EXPIRATION_OPTIONS). */
export const WINDOWS: { seconds: number; label: string }[] = [
  { seconds: 0, label: 'None: deleted tags go at once' },
  { seconds: 86_400, label: '1 day' },
  { seconds: 604_800, label: '1 week' },
  { seconds: 1_209_600, label: '2 weeks' },
  { seconds: 2_419_200, label: '4 weeks' },
];

/** A namespace's time-machine window, saved as soon as it is chosen. */
export function TimeMachineField({
  id,
  seconds,
  onChange,
  error,
}: {
  id: string;
  seconds: number | undefined;
  onChange: (seconds: number) => void;
  error: unknown;
}) {
  return (
    <>
      <FormGroup label="Time machine (how long deleted tags stay restorable)" fieldId={id}>
        <FormSelect id={id} value={String(seconds ?? '')} onChange={(_e, v) => onChange(Number(v))}>
          {WINDOWS.map((w) => (
            <FormSelectOption key={w.seconds} value={String(w.seconds)} label={w.label} />
          ))}
        </FormSelect>
      </FormGroup>
      <ErrorAlert error={error} />
    </>
  );
}
