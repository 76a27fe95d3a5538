//! "Let people on this network find this room": the host's switch for announcing on the LAN
//! (mDNS), in the host form and the host panel. A native checkbox with `role="switch"`, so it is
//! named by its label and toggled by Space like any switch.

import { useApp } from './context';

export function AnnounceSwitch({
  id,
  checked,
  disabled,
  onChange,
}: {
  id: string;
  checked: boolean;
  disabled?: boolean;
  onChange: (on: boolean) => void;
}) {
  const { t } = useApp();
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
        <span>{t('host.announce')}</span>
      </label>
      <p class="field-hint" id={`${id}-hint`}>
        {t('host.announceHint')}
      </p>
    </div>
  );
}
