//! Layout breakpoints shared by the views and styles.css, and a hook that follows one.

import { useEffect, useState } from 'preact/hooks';

/** One column, rooms and members as drawers. Keep in step with `@media (max-width: 760px)`. */
export const NARROW = '(max-width: 760px)';

export function useMediaQuery(query: string): boolean {
  const mql = typeof matchMedia === 'function' ? matchMedia(query) : null;
  const [matches, setMatches] = useState(() => mql?.matches ?? false);
  useEffect(() => {
    if (!mql) return;
    const update = () => setMatches(mql.matches);
    update();
    mql.addEventListener('change', update);
    return () => mql.removeEventListener('change', update);
  }, [query]);
  return matches;
}
