import { useEffect } from 'react';
import { useThemeStore, type ResolvedTheme } from '../stores/themeStore';

export function applyTheme(theme: ResolvedTheme): void {
  const root = document.documentElement;
  root.dataset.theme = theme;
  root.style.colorScheme = theme;
}

/** Keeps <html data-theme> in step with the store and the store in step with the OS setting. */
export function useApplyTheme(): void {
  const resolved = useThemeStore((s) => s.resolved);
  const systemChanged = useThemeStore((s) => s.systemChanged);
  useEffect(() => applyTheme(resolved), [resolved]);
  useEffect(() => {
    if (typeof window.matchMedia !== 'function') return;
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    const onChange = (e: MediaQueryListEvent) => systemChanged(e.matches);
    mq.addEventListener('change', onChange);
    return () => mq.removeEventListener('change', onChange);
  }, [systemChanged]);
}
