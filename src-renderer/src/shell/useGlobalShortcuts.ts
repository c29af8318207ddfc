import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { useThemeStore } from '../stores/themeStore';
import { PAGES } from './pages';
import { isPlainKey, isTypingTarget, SEQUENCE_TIMEOUT_MS } from './shortcuts';

/**
 * App-wide keys: `g` + letter to switch pages, `?` for the overlay, Mod+Shift+L for the theme.
 * Returns whether a `g` sequence is waiting for its second key (shown in the status bar).
 */
export function useGlobalShortcuts(opts: { toggleOverlay(): void; overlayOpen: boolean }): { pendingG: boolean } {
  const navigate = useNavigate();
  const toggleTheme = useThemeStore((s) => s.toggle);
  const [pendingG, setPendingG] = useState(false);
  const { toggleOverlay, overlayOpen } = opts;

  useEffect(() => {
    if (!pendingG) return;
    const t = setTimeout(() => setPendingG(false), SEQUENCE_TIMEOUT_MS);
    return () => clearTimeout(t);
  }, [pendingG]);

  useEffect(() => {
    function onKeyDown(e: KeyboardEvent): void {
      if (e.defaultPrevented || e.repeat) return;
      if ((e.ctrlKey || e.metaKey) && e.shiftKey && !e.altKey && e.key.toLowerCase() === 'l') {
        e.preventDefault();
        toggleTheme();
        return;
      }
      if (!isPlainKey(e) || isTypingTarget(e.target)) return;
      if (e.key === '?') {
        e.preventDefault();
        toggleOverlay();
        return;
      }
      if (overlayOpen) return;
      if (pendingG) {
        // The second key of a sequence belongs to the sequence, never to the page underneath.
        e.preventDefault();
        setPendingG(false);
        const page = PAGES.find((p) => p.shortcut === e.key.toLowerCase());
        if (page) void navigate(page.path);
        return;
      }
      if (e.key === 'g') {
        e.preventDefault();
        setPendingG(true);
      }
    }
    // Capture phase: runs before pages' own key handlers, which skip events handled here.
    window.addEventListener('keydown', onKeyDown, true);
    return () => window.removeEventListener('keydown', onKeyDown, true);
  }, [navigate, toggleTheme, toggleOverlay, overlayOpen, pendingG]);

  return { pendingG };
}
