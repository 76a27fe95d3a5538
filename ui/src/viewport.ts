//! Keeps the app inside the part of the screen the user can see. With an on-screen keyboard up,
//! browsers that only shrink the *visual* viewport (iOS Safari; Chrome without
//! `interactive-widget=resizes-content`) would leave the composer under the keyboard; this sets
//! `--app-height` to the visual viewport's height, so the shell (and the composer at its bottom)
//! ends right above the keyboard, and undoes the page scroll iOS adds when it focuses a field.

export function followVisualViewport(win: Window = window): () => void {
  const vv = win.visualViewport;
  if (!vv) return () => undefined;
  const root = win.document.documentElement;
  let frame = 0;
  const apply = () => {
    frame = 0;
    // Pinch-zoom also shrinks the visual viewport; only an unzoomed one means "keyboard".
    if (Math.abs(vv.scale - 1) > 0.01) root.style.removeProperty('--app-height');
    else root.style.setProperty('--app-height', `${Math.round(vv.height)}px`);
    // The shell is as tall as what is visible; any scroll of the layout viewport only hides its top.
    if (win.scrollY !== 0 && vv.height < win.innerHeight) win.scrollTo(0, 0);
  };
  const schedule = () => {
    if (!frame) frame = win.requestAnimationFrame(apply);
  };
  vv.addEventListener('resize', schedule);
  vv.addEventListener('scroll', schedule);
  apply();
  return () => {
    vv.removeEventListener('resize', schedule);
    vv.removeEventListener('scroll', schedule);
    if (frame) win.cancelAnimationFrame(frame);
  };
}
