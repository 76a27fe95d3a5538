//! The server password input of the Join and guest forms, shown once the server asks for one.

import type { Ref } from 'preact';

export function PasswordField(props: {
  id: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  inputRef: Ref<HTMLInputElement>;
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        ref={props.inputRef}
        type="password"
        data-testid="password-input"
        autocomplete="current-password"
        value={props.value}
        onInput={(e) => props.onInput((e.currentTarget as HTMLInputElement).value)}
      />
    </div>
  );
}
