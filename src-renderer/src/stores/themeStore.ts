import { create } from 'zustand';

export type ThemePreference = 'system' | 'light' | 'dark';
export type ResolvedTheme = 'light' | 'dark';

export const THEME_STORAGE_KEY = 'tw.theme';

interface ThemeState {
  preference: ThemePreference;
  /** What the OS asks for; only used while the preference is `system`. */
  systemPrefersDark: boolean;
  resolved: ResolvedTheme;
}

interface ThemeActions {
  setPreference(preference: ThemePreference): void;
  /** Flips between light and dark (leaving `system`). */
  toggle(): void;
  systemChanged(prefersDark: boolean): void;
}

export type ThemeStore = ThemeState & ThemeActions;

/** Where the preference is kept; localStorage in the app, a Map in tests. */
export interface PreferenceStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

function resolve(preference: ThemePreference, systemPrefersDark: boolean): ResolvedTheme {
  if (preference === 'system') return systemPrefersDark ? 'dark' : 'light';
  return preference;
}

function isPreference(v: unknown): v is ThemePreference {
  return v === 'system' || v === 'light' || v === 'dark';
}

export function createThemeStore(deps: { storage: PreferenceStorage | null; systemPrefersDark: boolean }) {
  const read = (): ThemePreference => {
    try {
      const v = deps.storage?.getItem(THEME_STORAGE_KEY);
      return isPreference(v) ? v : 'system';
    } catch {
      return 'system';
    }
  };
  const write = (p: ThemePreference): void => {
    try {
      deps.storage?.setItem(THEME_STORAGE_KEY, p);
    } catch {
      // Storage can be full or disabled; the theme still applies for this session.
    }
  };
  const preference = read();
  return create<ThemeStore>()((set, get) => ({
    preference,
    systemPrefersDark: deps.systemPrefersDark,
    resolved: resolve(preference, deps.systemPrefersDark),
    setPreference(next) {
      write(next);
      set((s) => ({ preference: next, resolved: resolve(next, s.systemPrefersDark) }));
    },
    toggle() {
      get().setPreference(get().resolved === 'dark' ? 'light' : 'dark');
    },
    systemChanged(prefersDark) {
      set((s) => ({ systemPrefersDark: prefersDark, resolved: resolve(s.preference, prefersDark) }));
    },
  }));
}

function browserStorage(): PreferenceStorage | null {
  try {
    return typeof window !== 'undefined' ? window.localStorage : null;
  } catch {
    return null;
  }
}

function browserPrefersDark(): boolean {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function'
    ? window.matchMedia('(prefers-color-scheme: dark)').matches
    : false;
}

export const useThemeStore = createThemeStore({ storage: browserStorage(), systemPrefersDark: browserPrefersDark() });
