//! The title row of the rooms and members drawers: a heading, and a close button that only shows
//! on narrow screens, where the two lists are drawers.

import { useApp } from './context';
import { Icon } from './Icon';

export type Drawer = 'rooms' | 'members';

export interface DrawerProps {
  open: boolean;
  onFocusOut: (e: FocusEvent) => void;
  onClose: () => void;
}

export function DrawerHead({ id, title, count, onClose }: { id: string; title: string; count?: number; onClose: () => void }) {
  const app = useApp();
  return (
    <div class="drawer-head">
      <h2 class="sidebar-title" id={id}>
        {title}
        {count !== undefined && <span class="count">{count}</span>}
      </h2>
      <button
        type="button"
        class="icon-btn drawer-close"
        data-testid={`${id.replace('-title', '')}-close`}
        aria-label={app.t('common.close')}
        onClick={onClose}
      >
        <Icon name="close" />
      </button>
    </div>
  );
}
