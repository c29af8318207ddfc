import { describe, expect, it } from 'vitest';
import { createThemeStore, THEME_STORAGE_KEY, type PreferenceStorage } from '../../src-renderer/src/stores/themeStore';

function memoryStorage(initial: Record<string, string> = {}): PreferenceStorage & { data: Map<string, string> } {
  const data = new Map(Object.entries(initial));
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe('themeStore', () => {
  it('follows the OS until the user picks a theme', () => {
    const store = createThemeStore({ storage: memoryStorage(), systemPrefersDark: true });
    expect(store.getState()).toMatchObject({ preference: 'system', resolved: 'dark' });
    store.getState().systemChanged(false);
    expect(store.getState().resolved).toBe('light');
  });

  it('persists the choice and ignores the OS afterwards', () => {
    const storage = memoryStorage();
    const store = createThemeStore({ storage, systemPrefersDark: false });
    store.getState().toggle();
    expect(store.getState()).toMatchObject({ preference: 'dark', resolved: 'dark' });
    expect(storage.data.get(THEME_STORAGE_KEY)).toBe('dark');
    store.getState().systemChanged(false);
    expect(store.getState().resolved).toBe('dark');
    const reopened = createThemeStore({ storage, systemPrefersDark: false });
    expect(reopened.getState().resolved).toBe('dark');
  });

  it('survives junk in storage and storage that throws', () => {
    expect(
      createThemeStore({ storage: memoryStorage({ [THEME_STORAGE_KEY]: 'neon' }), systemPrefersDark: false }).getState()
        .preference,
    ).toBe('system');
    const broken: PreferenceStorage = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
    };
    const store = createThemeStore({ storage: broken, systemPrefersDark: false });
    store.getState().setPreference('dark');
    expect(store.getState().resolved).toBe('dark');
  });
});
