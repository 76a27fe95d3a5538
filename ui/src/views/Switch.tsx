//! An on/off setting with its label and a hint under it: the host's switches (announce on the
//! LAN, let browsers join over plain http://). A native checkbox with `role="switch"`, so it is
//! named by its visible label and toggled by Space like any switch.

export function Switch({
  id,
  label,
  hint,
  checked,
  disabled,
  onChange,
}: {
  id: string;
  label: string;
  hint: string;
  checked: boolean;
  disabled?: boolean;
  onChange: (on: boolean) => void;
}) {
  return (
    <div class="field switch-field">
      <label class="switch" for={id}>
        <input
          id={id}
          type="checkbox"
          role="switch"
          data-testid={id}
          checked={checked}
          disabled={disabled}
          aria-describedby={`${id}-hint`}
          onChange={(e) => {
            // The switch shows what is true, not what was clicked: it flips when the owner's
            // state does (a refused switch-on stays off).
            const box = e.currentTarget as HTMLInputElement;
            const on = box.checked;
            box.checked = checked;
            onChange(on);
          }}
        />
        <span>{label}</span>
      </label>
      <p class="field-hint" id={`${id}-hint`}>
        {hint}
      </p>
    </div>
  );
}
