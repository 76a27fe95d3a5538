//! How views reach the controller: one context holding the `ChatApp`. The root subscribes to it
//! and re-renders the tree on every change; children read `app.chat` / `app.session` directly.

import { createContext } from 'preact';
import { useContext, useEffect, useReducer } from 'preact/hooks';
import type { ChatApp } from '../app';

export const AppContext = createContext<ChatApp | null>(null);

export function useApp(): ChatApp {
  const app = useContext(AppContext);
  if (!app) throw new Error('useApp outside AppContext');
  return app;
}

/** Re-renders the calling component whenever the app changes. */
export function useAppUpdates(app: ChatApp): void {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => app.subscribe(() => bump(0)), [app]);
}
