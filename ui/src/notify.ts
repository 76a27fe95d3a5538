//! Desktop notifications for messages that arrive while the window is not being looked at: the
//! Tauri notification plugin in the desktop window (imported only there), the Notification API
//! for browser guests who allowed it.

export interface Notifier {
  /** Asks for permission if it has not been decided; call it from a user gesture. */
  ask(): void;
  show(title: string, body: string): void;
}

export function browserNotifier(): Notifier {
  const supported = typeof Notification !== 'undefined';
  return {
    ask() {
      if (supported && Notification.permission === 'default') {
        Notification.requestPermission().catch(() => undefined);
      }
    },
    show(title, body) {
      if (!supported || Notification.permission !== 'granted') return;
      try {
        const n = new Notification(title, { body, tag: 'lanchat' });
        n.onclick = () => {
          window.focus();
          n.close();
        };
      } catch {
        /* some browsers only allow notifications from a service worker */
      }
    },
  };
}

export async function tauriNotifier(): Promise<Notifier> {
  const plugin = await import('@tauri-apps/plugin-notification');
  let granted: boolean | null = null;
  const ensure = async () => {
    if (granted === null) granted = await plugin.isPermissionGranted();
    if (!granted) granted = (await plugin.requestPermission()) === 'granted';
    return granted;
  };
  return {
    ask() {
      ensure().catch((e) => console.warn('lanchat: notification permission', e));
    },
    show(title, body) {
      ensure()
        .then((ok) => ok && plugin.sendNotification({ title, body }))
        .catch((e) => console.warn('lanchat: notification failed', e));
    },
  };
}
