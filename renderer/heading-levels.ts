// Naive UI's card header (every dialog of the console) says role="heading" without a level, which screen readers and
// axe-core (aria-required-attr) reject: each such heading is given level 2, the level of a dialog's title.
export function levelNaiveHeadings(root: HTMLElement): () => void {
  const fix = () => {
    for (const el of Array.from(root.querySelectorAll('[role="heading"]:not([aria-level])'))) el.setAttribute('aria-level', '2');
  };
  fix();
  const observer = new MutationObserver(fix);
  observer.observe(root, { subtree: true, childList: true });
  return () => observer.disconnect();
}
