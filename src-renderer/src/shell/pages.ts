import type { IconName } from '../components/Icon';

export type PageKey = 'triage' | 'review' | 'datasets' | 'jobs' | 'models' | 'evaluate' | 'settings';

export interface PageDef {
  key: PageKey;
  path: `/${PageKey}`;
  label: string;
  /** Second key of the `g <key>` shortcut. */
  shortcut: string;
  icon: IconName;
  /** Whether the page is a step of the triage → model loop (shown in the workflow strip). */
  inLoop: boolean;
}

export const PAGES: readonly PageDef[] = [
  { key: 'triage', path: '/triage', label: 'Triage', shortcut: 't', icon: 'triage', inLoop: true },
  { key: 'review', path: '/review', label: 'Review queue', shortcut: 'r', icon: 'review', inLoop: true },
  { key: 'datasets', path: '/datasets', label: 'Datasets', shortcut: 'd', icon: 'datasets', inLoop: true },
  { key: 'jobs', path: '/jobs', label: 'Jobs', shortcut: 'j', icon: 'jobs', inLoop: true },
  { key: 'models', path: '/models', label: 'Models', shortcut: 'm', icon: 'models', inLoop: true },
  { key: 'evaluate', path: '/evaluate', label: 'Evaluate & compare', shortcut: 'e', icon: 'evaluate', inLoop: true },
  { key: 'settings', path: '/settings', label: 'Settings', shortcut: 's', icon: 'settings', inLoop: false },
];

export function pageByKey(key: PageKey): PageDef {
  return PAGES.find((p) => p.key === key)!;
}
