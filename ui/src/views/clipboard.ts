//! Copying the invite link. `navigator.clipboard` only exists in secure contexts (the Tauri
//! window, localhost); plain-http LAN pages fall back to selecting the field and `execCommand`.

export async function copyText(text: string, field?: HTMLInputElement | null): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall through to the legacy path */
  }
  if (!field) return false;
  field.focus();
  field.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}
