import { PAGES } from './pages';

export interface ShortcutHelp {
  keys: string[];
  label: string;
}

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
export const MOD_LABEL = isMac ? '⌘' : 'Ctrl';

/** How long after `g` the second key still counts. */
export const SEQUENCE_TIMEOUT_MS = 1500;

export const SHORTCUT_GROUPS: { title: string; items: ShortcutHelp[] }[] = [
  { title: 'Go to', items: PAGES.map((p) => ({ keys: ['g', p.shortcut], label: p.label })) },
  {
    title: 'Anywhere',
    items: [
      { keys: ['?'], label: 'Show or hide this list' },
      { keys: [MOD_LABEL, 'Shift', 'L'], label: 'Light / dark theme' },
      { keys: ['Esc'], label: 'Close a dialog or overlay' },
    ],
  },
  {
    title: 'Triage',
    items: [
      { keys: ['/'], label: 'Search conversations' },
      { keys: ['j'], label: 'Next conversation' },
      { keys: ['k'], label: 'Previous conversation' },
      { keys: ['n'], label: 'New conversation' },
    ],
  },
];

/** True while the user is typing somewhere: single-key shortcuts must not fire then. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (target as HTMLInputElement).type;
    return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(type);
  }
  return false;
}

/** A plain key press: no Ctrl, Alt or Meta (Shift is allowed, for `?`). */
export function isPlainKey(e: KeyboardEvent): boolean {
  return !e.ctrlKey && !e.altKey && !e.metaKey;
}
